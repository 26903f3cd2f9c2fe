#!/usr/bin/env python3
"""Benchmark of the Help Scout legacy dynamic app endpoint under `chargedesk serve`, on a 100k-charge mirror.

    .venv/bin/python bench/helpscout_dynamic.py                 # 100k charges (10k customers), 8 clients
    .venv/bin/python bench/helpscout_dynamic.py --seconds 5 --charges 100000

Reuses bench/sidebar.py's scratch database, production settings, server start/stop and CPU
accounting, bench/sidebar_seed.py's in-database mirror growth and bench/loadgen.py's keep-alive
connections. Help Scout POSTs each conversation load signed with X-HelpScout-Signature (HMAC-SHA1
of the raw body), so every request here is a signed POST /sidebar/helpscout/dynamic for a random
customer's email, by a linked agent (the steady state: no Mailbox API call). Measured over the same
8 connections as a bare GET /ping in the same run. Target: p99 <= 30 ms; the ratio to ping's
requests/s is reported. Loopback only; bounded in time.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen  # noqa: E402
import sidebar  # noqa: E402  (bench/sidebar.py: database, server and CPU helpers)
import sidebar_seed  # noqa: E402

P99_TARGET_MS = 30.0
APP_ID, SECRET_KEY, HELPSCOUT_USER = "hs-bench", "bench-secret-key-for-help-scout", 77


def prepare_account(env: dict[str, str]) -> sidebar_seed.Target:
    """Schema, an account whose agent is linked to Help Scout user 77 of a Help Scout installation, a Stripe connection."""
    from backend import create_app, schema
    from backend.accounts import add_user, create_account
    from backend.db import engine, transaction
    from backend.models import AgentIdentity, GatewayConnection, HelpdeskInstallation

    app = create_app({k[len("CHARGEDESK_"):]: v for k, v in env.items() if k.startswith("CHARGEDESK_")})
    with app.app_context():
        schema.upgrade(engine())
        with transaction() as s:
            account = create_account(s, name="Bench Co", slug="bench")
            agent = add_user(s, account, email="agent@bench.example", role="agent", name="Bench Agent")
            installation = HelpdeskInstallation(account_id=account.id, kind="helpscout", external_id=APP_ID,
                                                credentials={"secret_key": SECRET_KEY}, settings={})
            connection = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                           credentials={"api_key": "sk_test_bench"})
            s.add_all([installation, connection])
            s.flush()
            s.add(AgentIdentity(account_id=account.id, user_id=agent.id, installation_id=installation.id,
                                external_user_id=str(HELPSCOUT_USER)))
            return sidebar_seed.Target(account_id=account.id, connection_id=connection.id)


def signed_request(base: str, customer: int, conversation: int) -> bytes:
    """The POST Help Scout makes for a conversation of user<customer>@example.com, signed its way."""
    body = json.dumps({"ticket": {"id": conversation, "number": conversation % 10000, "subject": "Billing"},
                       "customer": {"id": customer, "fname": "Customer", "lname": str(customer),
                                    "email": f"user{customer}@example.com", "emails": [f"user{customer}@example.com"]},
                       "user": {"fname": "Bench", "lname": "Agent", "id": HELPSCOUT_USER, "role": "user",
                                "convRedirect": 0},
                       "mailbox": {"id": 1, "email": "help@bench.example"}}).encode()
    signature = base64.b64encode(hmac.new(SECRET_KEY.encode(), body, hashlib.sha1).digest()).decode()
    head = (f"POST /sidebar/helpscout/dynamic?app={APP_ID} HTTP/1.1\r\nHost: {urlsplit(base).netloc}\r\n"
            f"Connection: keep-alive\r\nContent-Type: application/json\r\nX-HelpScout-Signature: {signature}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def dynamic_requests(base: str, customers: int, distinct: int, count: int = 4000) -> list[bytes]:
    rng = random.Random(customers)
    viewed = rng.sample(range(1, customers + 1), min(distinct, customers))
    return [signed_request(base, rng.choice(viewed), 100000 + i) for i in range(count)]


def run_raw(requests: list[bytes], clients: loadgen.Clients, *, seconds: float, warmup: float) -> loadgen.Result:
    """loadgen.run for pre-encoded requests (POSTs with bodies) over `clients`' connections."""
    start = time.perf_counter() + warmup
    stop = start + seconds
    per_client: list[tuple[list[float], int]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        offset = index * len(requests) // len(clients.connections)
        latencies, errors = [], 0
        pending = cycle(requests[offset:] + requests[:offset])
        conn = clients.connections[index]
        while (now := time.perf_counter()) < stop:
            status = conn.exchange(next(pending))
            done = time.perf_counter()
            if now >= start:
                latencies.append((done - now) * 1000)
                errors += status != 200
        with lock:
            per_client.append((latencies, errors))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(clients.connections))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return loadgen.Result(requests=sum(len(lat) for lat, _ in per_client), errors=sum(e for _, e in per_client),
                          seconds=seconds, latencies_ms=[ms for lat, _ in per_client for ms in lat])


def first_views(requests: list[bytes]) -> list[bytes]:
    """One request per distinct customer (the body names the customer; the conversation id varies)."""
    seen: dict[bytes, bytes] = {}
    for request in requests:
        seen.setdefault(request.split(b'"email": ')[1].split(b",")[0], request)
    return list(seen.values())


def once_each(requests: list[bytes], clients: loadgen.Clients) -> loadgen.Result:
    """Every request exactly once, split over the clients (like loadgen.once_each, for POSTs)."""
    per_client: list[tuple[list[float], int]] = []
    lock = threading.Lock()
    count = len(clients.connections)

    def client(index: int) -> None:
        latencies, errors = [], 0
        for request in requests[index::count]:
            began = time.perf_counter()
            errors += clients.connections[index].exchange(request) != 200
            latencies.append((time.perf_counter() - began) * 1000)
        with lock:
            per_client.append((latencies, errors))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return loadgen.Result(requests=sum(len(lat) for lat, _ in per_client), errors=sum(e for _, e in per_client),
                          seconds=time.perf_counter() - started, latencies_ms=[ms for lat, _ in per_client for ms in lat])


def check_one(request: bytes, base: str) -> None:
    """Sanity: one signed load answers 200 with a billing summary and refund links."""
    from http.client import HTTPConnection

    head, _, body = request.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    parts = urlsplit(base)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", f"/sidebar/helpscout/dynamic?app={APP_ID}", body=body, headers=headers)
    answer = conn.getresponse()
    html = json.loads(answer.read()).get("html", "")
    if answer.status != 200 or 'data-type="charge"' not in html:
        raise SystemExit(f"the dynamic app did not answer a summary ({answer.status}): {html[:300]}")


def measure(env, args, customers: int) -> dict:
    proc, base = sidebar.start_server(env, args.workers, args.threads)
    try:
        requests = dynamic_requests(base, customers, args.customers_viewed)
        check_one(requests[0], base)
        pids_of = lambda: sidebar.server_pids(proc, env["CHARGEDESK_DATABASE_URL"])  # noqa: E731
        clients = loadgen.Clients(base, args.concurrency)
        try:
            first = once_each(first_views(requests), clients)  # each customer's first view builds its billing
            ping, ping_cpu = sidebar.timed_run([f"{base}/ping"], pids_of, headers={}, concurrency=args.concurrency,
                                               seconds=args.seconds, warmup=args.warmup, clients=clients)
            workers, backends = pids_of()
            before = sidebar._cpu_seconds(workers), sidebar._cpu_seconds(backends)
            dynamic = run_raw(requests, clients, seconds=args.seconds, warmup=args.warmup)
            spent = sidebar._cpu_seconds(workers) - before[0], sidebar._cpu_seconds(backends) - before[1]
        finally:
            clients.close()
    finally:
        sidebar.stop_server(proc)
    per = 1000 / dynamic.requests if dynamic.requests else 0.0
    return {"ping": ping, "ping_cpu": ping_cpu, "dynamic": dynamic, "first": first,
            "dynamic_cpu": (spent[0] * per, spent[1] * per)}


def report(charges: int, customers: int, r: dict) -> bool:
    p, d = r["ping"], r["dynamic"]
    ratio = d.rps / p.rps if p.rps else 0.0
    ok = d.percentile(99) <= P99_TARGET_MS and d.errors == 0
    print(f"\n{charges:,} charges / {customers:,} customers")
    print(f"  ping              {p.rps:>8,.0f} req/s  p50 {p.percentile(50):6.2f} ms  p99 {p.percentile(99):6.2f} ms  "
          f"cpu {sidebar._cpu(r['ping_cpu'])} ms/req")
    print(f"  dynamic app POST  {d.rps:>8,.0f} req/s  p50 {d.percentile(50):6.2f} ms  p99 {d.percentile(99):6.2f} ms  "
          f"cpu {sidebar._cpu(r['dynamic_cpu'])} ms/req  errors {d.errors}")
    print(f"  (first views: {r['first'].rps:,.0f} req/s, p99 {r['first'].percentile(99):.2f} ms)")
    print(f"  ratio to ping: {ratio:.0%}")
    print(f"\ntarget: dynamic app p99 <= {P99_TARGET_MS:.0f} ms -> {'MET' if ok else 'NOT MET'} "
          f"(machine load average {os.getloadavg()[0]:.1f})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charges", type=int, default=100_000)
    parser.add_argument("--charges-per-customer", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--customers-viewed", type=int, default=1000,
                        help="distinct customers the measured loads spread over (each first viewed once before)")
    args = parser.parse_args()
    name, db_url = sidebar.create_database()
    try:
        with tempfile.TemporaryDirectory() as instance:
            env = sidebar.app_env(db_url, instance)
            target = prepare_account(env)
            with psycopg.connect(db_url) as conn:
                customers, charges = sidebar_seed.grow(conn, target, charges_total=args.charges,
                                                       charges_per_customer=args.charges_per_customer)
                conn.commit()
                conn.autocommit = True
                conn.execute("VACUUM (ANALYZE)")
            print(f"seeded {charges:,} charges / {customers:,} customers", flush=True)
            result = measure(env, args, customers)
    finally:
        sidebar.drop_database(name)
    return 0 if report(charges, customers, result) else 1


if __name__ == "__main__":
    sys.exit(main())

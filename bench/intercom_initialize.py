#!/usr/bin/env python3
"""Benchmark of Intercom's Canvas Kit Initialize endpoint under `chargedesk serve`, on a 100k-charge mirror.

    .venv/bin/python bench/intercom_initialize.py                 # 100k charges (10k customers), 8 clients
    .venv/bin/python bench/intercom_initialize.py --seconds 5 --charges 100000

The same approach as bench/helpscout_dynamic.py (whose raw POST load generator it reuses), over
bench/sidebar.py's scratch database, production settings, server start/stop and CPU accounting.
Intercom POSTs each conversation open signed with X-Body-Signature (hex HMAC-SHA256 of the raw body
with the app's client secret), so every request is a signed POST /sidebar/intercom/initialize for a
random customer's email by a linked teammate (the steady state: no REST API call), answered with a
canvas. Measured over the same 8 connections as a bare GET /ping in the same run. Target: p99 <= 30 ms;
the ratio to ping's requests/s is reported. Loopback only; bounded in time.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import helpscout_dynamic  # noqa: E402  (run_raw, once_each, first_views: raw signed POST load)
import loadgen  # noqa: E402
import sidebar  # noqa: E402
import sidebar_seed  # noqa: E402

P99_TARGET_MS = 30.0
WORKSPACE, CLIENT_SECRET, TEAMMATE = "ws-bench", "bench-intercom-client-secret", "77"
PATH = "/sidebar/intercom/initialize"


def prepare_account(env: dict[str, str]) -> sidebar_seed.Target:
    """Schema, an account whose agent is linked to Intercom teammate 77 of an installation, a Stripe connection."""
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
            installation = HelpdeskInstallation(account_id=account.id, kind="intercom", external_id=WORKSPACE,
                                                credentials={"client_secret": CLIENT_SECRET}, settings={})
            connection = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                           credentials={"api_key": "sk_test_bench"})
            s.add_all([installation, connection])
            s.flush()
            s.add(AgentIdentity(account_id=account.id, user_id=agent.id, installation_id=installation.id,
                                external_user_id=TEAMMATE))
            return sidebar_seed.Target(account_id=account.id, connection_id=connection.id)


def signed_request(base: str, customer: int, conversation: int) -> bytes:
    """The Initialize POST Intercom makes when teammate 77 opens a conversation of user<customer>@example.com."""
    body = json.dumps({"contact": {"email": f"user{customer}@example.com", "type": "contact", "id": f"c{customer}"},
                       "workspace_id": WORKSPACE, "workspace_region": "us",
                       "admin": {"type": "admin", "id": TEAMMATE, "name": "Bench Agent"},
                       "context": {"conversation_id": str(conversation), "location": "conversation", "locale": "en"},
                       "conversation": {"type": "conversation", "id": str(conversation)},
                       "card_creation_options": {}}).encode()
    signature = hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (f"POST {PATH} HTTP/1.1\r\nHost: {urlsplit(base).netloc}\r\nConnection: keep-alive\r\n"
            f"Content-Type: application/json\r\nX-Body-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def initialize_requests(base: str, customers: int, distinct: int, count: int = 4000) -> list[bytes]:
    rng = random.Random(customers)
    viewed = rng.sample(range(1, customers + 1), min(distinct, customers))
    return [signed_request(base, rng.choice(viewed), 100000 + i) for i in range(count)]


def check_one(request: bytes, base: str) -> None:
    """Sanity: one signed Initialize answers 200 with a canvas listing charges."""
    from http.client import HTTPConnection

    head, _, body = request.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    parts = urlsplit(base)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", PATH, body=body, headers=headers)
    answer = conn.getresponse()
    text = answer.read().decode()
    if answer.status != 200 or '"open:charge:' not in text:
        raise SystemExit(f"Initialize did not answer a summary canvas ({answer.status}): {text[:300]}")


def measure(env, args, customers: int) -> dict:
    proc, base = sidebar.start_server(env, args.workers, args.threads)
    try:
        requests = initialize_requests(base, customers, args.customers_viewed)
        check_one(requests[0], base)
        pids_of = lambda: sidebar.server_pids(proc, env["CHARGEDESK_DATABASE_URL"])  # noqa: E731
        clients = loadgen.Clients(base, args.concurrency)
        try:
            first = helpscout_dynamic.once_each(helpscout_dynamic.first_views(requests), clients)
            ping, ping_cpu = sidebar.timed_run([f"{base}/ping"], pids_of, headers={}, concurrency=args.concurrency,
                                               seconds=args.seconds, warmup=args.warmup, clients=clients)
            workers, backends = pids_of()
            before = sidebar._cpu_seconds(workers), sidebar._cpu_seconds(backends)
            initialize = helpscout_dynamic.run_raw(requests, clients, seconds=args.seconds, warmup=args.warmup)
            spent = sidebar._cpu_seconds(workers) - before[0], sidebar._cpu_seconds(backends) - before[1]
        finally:
            clients.close()
    finally:
        sidebar.stop_server(proc)
    per = 1000 / initialize.requests if initialize.requests else 0.0
    return {"ping": ping, "ping_cpu": ping_cpu, "initialize": initialize, "first": first,
            "initialize_cpu": (spent[0] * per, spent[1] * per)}


def report(charges: int, customers: int, r: dict) -> bool:
    p, d = r["ping"], r["initialize"]
    ratio = d.rps / p.rps if p.rps else 0.0
    ok = d.percentile(99) <= P99_TARGET_MS and d.errors == 0
    print(f"\n{charges:,} charges / {customers:,} customers")
    print(f"  ping              {p.rps:>8,.0f} req/s  p50 {p.percentile(50):6.2f} ms  p99 {p.percentile(99):6.2f} ms  "
          f"cpu {sidebar._cpu(r['ping_cpu'])} ms/req")
    print(f"  initialize POST   {d.rps:>8,.0f} req/s  p50 {d.percentile(50):6.2f} ms  p99 {d.percentile(99):6.2f} ms  "
          f"cpu {sidebar._cpu(r['initialize_cpu'])} ms/req  errors {d.errors}")
    print(f"  (first views: {r['first'].rps:,.0f} req/s, p99 {r['first'].percentile(99):.2f} ms)")
    print(f"  ratio to ping: {ratio:.0%}")
    print(f"\ntarget: initialize p99 <= {P99_TARGET_MS:.0f} ms -> {'MET' if ok else 'NOT MET'} "
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

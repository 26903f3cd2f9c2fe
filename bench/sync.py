"""Backfill throughput: 100,000 charges from the Stripe sandbox (its own process) into PostgreSQL;
with --gateway woocommerce, 100,000 orders from the WooCommerce sandbox (every 20th awaiting payment,
so also an open invoice; every 10th partly refunded), mirrored as charges, invoices and refunds;
with --gateway paypal, 100,000 captures spread over 300 days (every 10th partly refunded), read
through transaction search in 31-day windows, each payment's order fetched once.

Reports objects/s and the syncing process's resident memory as the count grows (it must stay
flat: the sync streams page by page), checks that every charge landed, and reports the CPU time
the sync process, the sandbox and the PostgreSQL backend spent per 1,000 objects (the figure to
compare on a shared machine, where wall time depends on the neighbours).
Run: .venv/bin/python bench/sync.py [--charges N] [--gateway stripe|woocommerce|paypal]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

from bench.common import bench_env, chargedesk, free_port, scratch_database, start_process  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


AMOUNT = 1000  # minor units per seeded charge


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its live descendants (a server
    may run its work in child processes)."""
    parent, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)], ticks[int(entry)] = int(fields[1]), int(fields[11]) + int(fields[12])
    family, grew = {pid}, True
    while grew:
        found = {child for child, ppid in parent.items() if ppid in family} - family
        family |= found
        grew = bool(found)
    return sum(ticks.get(member, 0) for member in family) / os.sysconf("SC_CLK_TCK")


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charges", type=int, default=100_000)
    parser.add_argument("--gateway", choices=("stripe", "woocommerce", "paypal"), default="stripe")
    args = parser.parse_args()
    if args.gateway == "paypal":
        return bench_paypal(args.charges)
    if args.gateway == "woocommerce":
        return bench_woocommerce(args.charges)
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    sandbox = start_process([sys.executable, "-m", "backend.integrations.gateways.stripe.sandbox", "--port", str(port)],
                            env=bench_env("sqlite://"), ready_url=f"{sandbox_url}/_sandbox/deliveries")
    try:
        from backend.integrations.gateways.stripe.demo import StripeSeeder

        customer = StripeSeeder(sandbox_url).customer("bench@example.com")
        t0 = time.perf_counter()
        _post(f"{sandbox_url}/_sandbox/seed_charges", {"customer": customer["id"], "count": args.charges,
                                                       "amount": AMOUNT})
        print(f"seeded {args.charges:,} charges in the sandbox in {time.perf_counter() - t0:.1f}s")
        with scratch_database() as db_url:
            env = bench_env(db_url)
            chargedesk("db", "upgrade", env=env)
            chargedesk("account", "create", "Bench", "--slug", "bench", env=env)
            conn_id = chargedesk("connect", "stripe", "bench", "--api-key", "sk_test_bench_key_123",
                                 "--api-base", sandbox_url, env=env)
            run_sync(env, int(conn_id), args.charges, sandbox.pid)
    finally:
        sandbox.terminate()


WC_KEY, WC_SECRET = "ck_bench_0123456789abcdef", "cs_bench_0123456789abcdef"


def bench_woocommerce(orders: int) -> None:
    """The WooCommerce sandbox in its own process (OAuth 1.0a over http, as a plain-http shop)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = start_process([sys.executable, "-m", "backend.integrations.gateways.woocommerce.sandbox",
                             "--port", str(port), "--consumer-key", WC_KEY, "--consumer-secret", WC_SECRET],
                            env=bench_env("sqlite://"), ready_url=f"{url}/_sandbox/health")
    try:
        t0 = time.perf_counter()
        _post(f"{url}/_sandbox/seed_orders", {"count": orders, "total": f"{AMOUNT / 100:.2f}", "refund_every": 10,
                                                  "pending_every": 20})
        print(f"seeded {orders:,} orders in the sandbox in {time.perf_counter() - t0:.1f}s")
        with scratch_database() as db_url:
            env = bench_env(db_url)
            chargedesk("db", "upgrade", env=env)
            chargedesk("account", "create", "Bench", "--slug", "bench", env=env)
            conn_id = chargedesk("connect", "woocommerce", "bench", "--consumer-key", WC_KEY,
                                 "--consumer-secret", WC_SECRET, "--webhook-secret", "wc-bench-secret",
                                 "--api-base", url, env=env)
            run_sync(env, int(conn_id), orders, sandbox.pid)
    finally:
        sandbox.terminate()


PP_ID, PP_SECRET = "bench-client-id-0123456789", "bench-client-secret-0123456789"


def bench_paypal(captures: int) -> None:
    """The PayPal sandbox in its own process; the adapter reads it through paypal-server-sdk."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = start_process([sys.executable, "-m", "backend.integrations.gateways.paypal.sandbox",
                             "--port", str(port), "--client-id", PP_ID, "--client-secret", PP_SECRET],
                            env=bench_env("sqlite://"), ready_url=f"{url}/_sandbox/health")
    try:
        t0 = time.perf_counter()
        _post(f"{url}/_sandbox/seed_captures", {"count": captures, "value": f"{AMOUNT / 100:.2f}",
                                                "refund_every": 10, "days": 300})
        print(f"seeded {captures:,} captures in the sandbox in {time.perf_counter() - t0:.1f}s")
        with scratch_database() as db_url:
            env = bench_env(db_url)
            chargedesk("db", "upgrade", env=env)
            chargedesk("account", "create", "Bench", "--slug", "bench", env=env)
            conn_id = chargedesk("connect", "paypal", "bench", "--client-id", PP_ID, "--client-secret", PP_SECRET,
                                 "--webhook-id", "WH-BENCH", "--api-base", url, env=env)
            run_sync(env, int(conn_id), captures, sandbox.pid)
    finally:
        sandbox.terminate()


def run_sync(env: dict, connection_id: int, expected: int, sandbox_pid: int) -> None:
    os.environ.update(env)
    from sqlalchemy import text

    from backend import create_app
    from backend.db import session
    from backend.sync.backfill import sync_connection_now

    app = create_app()
    marks, seen = [], {"n": 0}
    checkpoints = {expected // 10, expected // 2, expected}

    def progress(kind, n):
        seen["n"] += n
        if seen["n"] in checkpoints or any(seen["n"] - n < c <= seen["n"] for c in checkpoints):
            marks.append((seen["n"], round(_rss_mb(), 1), round(time.perf_counter() - started, 2)))

    with app.app_context():
        pg_pid = session().execute(text("SELECT pg_backend_pid()")).scalar()
        session().commit()
        cpu_before = [_cpu_seconds(pid) for pid in (os.getpid(), sandbox_pid, pg_pid)]
        started = time.perf_counter()
        report = sync_connection_now(connection_id, progress=progress)
        elapsed = time.perf_counter() - started
        cpu = [_cpu_seconds(pid) - before for pid, before in zip((os.getpid(), sandbox_pid, pg_pid), cpu_before)]
        landed = session().execute(text(
            "SELECT count(*), count(customer_id), coalesce(sum(amount_minor), 0) FROM charges "
            "WHERE connection_id = :id"), {"id": connection_id}).one()
    if tuple(landed) != (expected, expected, expected * AMOUNT):
        raise SystemExit(f"the mirror does not hold what the sandbox has: {tuple(landed)}")
    total = sum(report.counts.values())
    print(f"synced {total:,} objects in {elapsed:.1f}s = {total / elapsed:,.0f} objects/s")
    per_k = [round(1000 * seconds * 1000 / total, 1) for seconds in cpu]
    print("CPU ms per 1,000 objects: sync process {}, sandbox {}, PostgreSQL backend {}".format(*per_k))
    print("objects, RSS MB, seconds:", marks)
    print(f"peak RSS of the syncing process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    main()

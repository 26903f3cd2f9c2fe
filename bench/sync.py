"""Backfill throughput: 100,000 charges from the Stripe sandbox (its own process) into PostgreSQL.

Reports objects/s and the syncing process's resident memory as the count grows (it must stay
flat: the sync streams page by page). Run: .venv/bin/python bench/sync.py [--charges N]
"""
from __future__ import annotations

import argparse
import json
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


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charges", type=int, default=100_000)
    args = parser.parse_args()
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    sandbox = start_process([sys.executable, "-m", "backend.integrations.gateways.stripe.sandbox", "--port", str(port)],
                            env=bench_env("sqlite://"), ready_url=f"{sandbox_url}/_sandbox/deliveries")
    try:
        from backend.integrations.gateways.stripe.demo import StripeSeeder

        customer = StripeSeeder(sandbox_url).customer("bench@example.com")
        t0 = time.perf_counter()
        _post(f"{sandbox_url}/_sandbox/seed_charges", {"customer": customer["id"], "count": args.charges})
        print(f"seeded {args.charges:,} charges in the sandbox in {time.perf_counter() - t0:.1f}s")
        with scratch_database() as db_url:
            env = bench_env(db_url)
            chargedesk("db", "upgrade", env=env)
            chargedesk("account", "create", "Bench", "--slug", "bench", env=env)
            conn_id = chargedesk("connect", "stripe", "bench", "--api-key", "sk_test_bench_key_123",
                                 "--api-base", sandbox_url, env=env)
            run_sync(env, int(conn_id), args.charges)
    finally:
        sandbox.terminate()


def run_sync(env: dict, connection_id: int, expected: int) -> None:
    import os

    os.environ.update(env)
    from backend import create_app
    from backend.sync.backfill import sync_connection_now

    app = create_app()
    marks, seen = [], {"n": 0}
    checkpoints = {expected // 10, expected // 2, expected}

    def progress(kind, n):
        seen["n"] += n
        if seen["n"] in checkpoints or any(seen["n"] - n < c <= seen["n"] for c in checkpoints):
            marks.append((seen["n"], round(_rss_mb(), 1), round(time.perf_counter() - started, 2)))

    with app.app_context():
        started = time.perf_counter()
        report = sync_connection_now(connection_id, progress=progress)
        elapsed = time.perf_counter() - started
    total = sum(report.counts.values())
    print(f"synced {total:,} objects in {elapsed:.1f}s = {total / elapsed:,.0f} objects/s")
    print("objects, RSS MB, seconds:", marks)
    print(f"peak RSS of the syncing process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")


if __name__ == "__main__":
    main()

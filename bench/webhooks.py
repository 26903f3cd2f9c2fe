"""Signed Stripe webhook deliveries acknowledged and stored per second, under `chargedesk serve`.

Beside it, in the same run and with the same client, a bare endpoint (/ping) as the ceiling.
Each delivery is a distinct event with a valid Stripe-Signature; the load comes from wrk. Run:
.venv/bin/python bench/webhooks.py [--seconds 10] [--connections 16]
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, chargedesk, free_port, scratch_database, start_process  # noqa: E402
from bench.common_wrk import run_wrk  # noqa: E402

SECRET = "whsec_bench_secret_0123456789"


def signed_delivery(conn_id: int, n: int) -> tuple:
    body = json.dumps({"id": f"evt_bench_{n}", "object": "event", "type": "charge.succeeded",
                       "created": int(time.time()), "api_version": "2026-10-28.endive",
                       "data": {"object": {"id": f"ch_bench_{n}", "object": "charge", "amount": 1000,
                                           "amount_captured": 1000, "amount_refunded": 0, "captured": True,
                                           "currency": "usd", "status": "succeeded", "customer": None,
                                           "created": int(time.time()), "paid": True, "refunded": False}}}).encode()
    t = int(time.time())
    sig = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return ("POST", f"/webhooks/stripe/{conn_id}", body,
            {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={sig}"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with scratch_database() as db_url:
        env = bench_env(db_url)
        chargedesk("db", "upgrade", env=env)
        chargedesk("account", "create", "Bench", "--slug", "bench", env=env)
        conn_id = int(chargedesk("connect", "stripe", "bench", "--api-key", "sk_test_bench_key_123",
                                 "--webhook-secret", SECRET, "--no-verify", env=env))
        port = free_port()
        exe = str(Path(sys.executable).with_name("chargedesk"))
        server = start_process([exe, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
                               env=env, ready_url=f"http://127.0.0.1:{port}/ping")
        try:
            base = f"http://127.0.0.1:{port}"
            hello = run_wrk(base, [("GET", "/ping", None, {})], seconds=args.seconds, connections=args.connections)
            deliveries = [signed_delivery(conn_id, i) for i in range(args.seconds * 4000)]
            hooks = run_wrk(base, deliveries, seconds=args.seconds, connections=args.connections)
        finally:
            server.terminate()
            server.wait(timeout=20)
        stored = _stored(db_url)
    print(f"hello  : {hello}")
    print(f"webhook: {hooks}")
    print(f"stored rows: {stored} (requests {hooks['requests']}, non-2xx {hooks['non_2xx']};"
          " a row per distinct event, repeats acknowledged as duplicates)")
    print(f"webhooks/s = {hooks['rps']:,.0f}; ratio to hello = {hooks['rps'] / hello['rps']:.0%}")


def _stored(db_url: str) -> int:
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM inbound_webhooks").fetchone()[0]


if __name__ == "__main__":
    main()

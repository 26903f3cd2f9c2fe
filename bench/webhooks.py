"""Signed Stripe webhook deliveries acknowledged and stored per second, under `chargedesk serve`.

Beside it, in the same run and with the same client, a bare endpoint (/ping) as the ceiling.
Each delivery is a distinct event with a valid Stripe-Signature; the load comes from wrk. Run:
.venv/bin/python bench/webhooks.py [--seconds 10] [--connections 16]

Also printed: CPU time per request by process (the app's gunicorn workers, the PostgreSQL
backends serving this bench's database plus the WAL writer, Redis, wrk), read from /proc, so
the ratio can be explained by where the work goes on a machine shared with other load.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, chargedesk, free_port, scratch_database, start_process  # noqa: E402
from bench.common_wrk import run_wrk  # noqa: E402

SECRET = "whsec_bench_secret_0123456789"
# Several copies: wrk_requests.lua deals the lines out to wrk's threads, and a thread dealt none
# sends nothing (with a single line, half the connections or all of them stalled: ~3,000/s
# measured, or a few dozen requests in 10 s, instead of ~6,500/s).
PING = [("GET", "/ping", None, {})] * 64
WARM_UP_IDS = 10_000_000  # event numbers of the warm-up deliveries, apart from the measured


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
    parser.add_argument("--threads", type=int, default=4, help="per worker (serve's default: 4)")
    args = parser.parse_args()
    with scratch_database() as db_url:
        env = bench_env(db_url)
        chargedesk("db", "upgrade", env=env)
        chargedesk("account", "create", "Bench", "--slug", "bench", env=env)
        conn_id = int(chargedesk("connect", "stripe", "bench", "--api-key", "sk_test_bench_key_123",
                                 "--webhook-secret", SECRET, "--no-verify", env=env))
        port = free_port()
        exe = str(Path(sys.executable).with_name("chargedesk"))
        server = start_process([exe, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                               "--threads", str(args.threads)],
                               env=env, ready_url=f"http://127.0.0.1:{port}/ping")
        try:
            base = f"http://127.0.0.1:{port}"
            # Warm-up, not measured: both workers up, the SDK imported, the receiver cached.
            run_wrk(base, PING, seconds=2, connections=args.connections)
            run_wrk(base, [signed_delivery(conn_id, WARM_UP_IDS + i) for i in range(8000)],
                    seconds=2, connections=args.connections)
            with CpuMeter(server.pid, db_url) as hello_cpu:
                hello = run_wrk(base, PING, seconds=args.seconds, connections=args.connections)
            deliveries = [signed_delivery(conn_id, i) for i in range(args.seconds * 4000)]
            before = _stored(db_url)
            with CpuMeter(server.pid, db_url) as hooks_cpu:
                hooks = run_wrk(base, deliveries, seconds=args.seconds, connections=args.connections)
        finally:
            server.terminate()
            server.wait(timeout=20)
        stored = _stored(db_url) - before
    print(f"hello  : {hello}")
    print(f"webhook: {hooks}")
    print(f"stored rows: {stored} (requests {hooks['requests']}, non-2xx {hooks['non_2xx']};"
          " a row per distinct event, repeats acknowledged as duplicates)")
    print(f"webhooks/s = {hooks['rps']:,.0f}; ratio to hello = {hooks['rps'] / hello['rps']:.0%}")
    if hello["socket_errors"] or hooks["socket_errors"]:
        print("DISTURBED RUN: wrk saw socket errors (stalled or refused connections); these rates are not valid")
    totals = {}
    for name, cpu, result in (("hello", hello_cpu, hello), ("webhook", hooks_cpu, hooks)):
        per = {k: round(v / max(result["requests"], 1) * 1e6) for k, v in cpu.seconds.items()}
        totals[name] = sum(per.values())
        print(f"cpu us/request {name:7}: {per} total {totals[name]}")
    print(f"cpu per request, webhook / hello = {totals['webhook'] / max(totals['hello'], 1):.2f}"
          " (what the rate ratio is on an otherwise idle machine)")


class CpuMeter:
    """CPU seconds spent during the block by the app, PostgreSQL, Redis and wrk (from /proc)."""

    def __init__(self, server_pid: int, db_url: str):
        self.server_pid, self.db_url, self.seconds = server_pid, db_url, {}

    def _sample(self) -> dict:
        import psycopg

        with psycopg.connect(self.db_url, autocommit=True) as conn:
            backends = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")]
        pids = {"app": [self.server_pid, *_children(self.server_pid)], "postgres": backends,
                "pg_wal": _pids_named("postgres: ", "walwriter"), "redis": _pids_named("redis-server")}
        sample = {k: {pid: _cpu(pid) for pid in v} for k, v in pids.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        sample["wrk"] = {0: children.ru_utime + children.ru_stime}
        return sample

    def __enter__(self):
        self.before = self._sample()
        return self

    def __exit__(self, *exc):
        after = self._sample()
        for group, now in after.items():  # a process new since `before` counts from zero
            self.seconds[group] = sum(t - self.before[group].get(pid, 0.0) for pid, t in now.items())


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def _pids_named(*parts: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(part in text for part in parts):
            found.append(int(cmdline.parent.name))
    return found


def _stored(db_url: str) -> int:
    import psycopg

    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM inbound_webhooks").fetchone()[0]


if __name__ == "__main__":
    main()

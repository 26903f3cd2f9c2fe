"""Shared bench helpers: a scratch PostgreSQL database, subprocess servers, load loops, stats."""
from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import psycopg
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("CHARGEDESK_TEST_PG_ADMIN_URL",
                              "postgresql://chargedesk:chargedesk@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CHARGEDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


@contextmanager
def scratch_database():
    """A fresh, migrated PostgreSQL database; dropped afterwards."""
    name = f"chargedesk_bench_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARGEDESK_")}
    env.update(CHARGEDESK_ENV="production", CHARGEDESK_DATABASE_URL=database_url, CHARGEDESK_REDIS_URL=REDIS_URL,
               CHARGEDESK_SECRET_KEY=secrets.token_urlsafe(48), CHARGEDESK_ENCRYPTION_KEY=Fernet.generate_key().decode(),
               CHARGEDESK_QUEUE_NAME=f"bench-{secrets.token_hex(3)}", PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chargedesk(*args: str, env: dict) -> str:
    exe = Path(sys.executable).with_name("chargedesk")
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def start_process(args: list[str], env: dict, ready_url: str, timeout: float = 60) -> subprocess.Popen:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    host, port = ready_url.split("//")[1].split("/")[0].split(":")
    path = "/" + ready_url.split("//")[1].split("/", 1)[1] if "/" in ready_url.split("//")[1] else "/"
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=1)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{args[0]} did not come up at {ready_url}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _client(args):
    host, port, requests_, duration = args
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies, ok, i = [], 0, 0
    end = time.monotonic() + duration
    while time.monotonic() < end and i < len(requests_):
        method, path, body, headers = requests_[i]
        i += 1
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - start)
        ok += resp.status < 300
    return latencies, ok


def load(host: str, port: int, per_client_requests: list[list[tuple]], duration: float) -> dict:
    """Run one keep-alive client process per request list, bounded in time and count."""
    started = time.perf_counter()
    with mp.Pool(len(per_client_requests)) as pool:
        results = pool.map(_client, [(host, port, reqs, duration) for reqs in per_client_requests])
    elapsed = time.perf_counter() - started
    latencies = [lat for lats, _ in results for lat in lats]
    ok = sum(n for _, n in results)
    return {"requests": len(latencies), "ok": ok, "seconds": round(elapsed, 2),
            "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(median(latencies) * 1000, 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 99) * 1000, 2) if latencies else None}

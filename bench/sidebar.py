#!/usr/bin/env python3
"""Benchmark of the sidebar's billing context under `chargedesk serve`, as the mirror grows.

    .venv/bin/python bench/sidebar.py                      # 10k -> 100k -> 1M charges (100k customers)
    .venv/bin/python bench/sidebar.py --stages 10000,100000 --seconds 5

Makes a fresh PostgreSQL database (CHARGEDESK_TEST_PG_ADMIN_URL, like the tests), grows the
mirror in stages with server-side INSERT .. SELECT, and at each stage runs gunicorn (2 workers)
and drives 8 concurrent keep-alive clients at GET /api/v1/sidebar/context (a sidebar token,
a random customer's email each request) and, in the same run and over the same connections,
at the bare GET /ping. Reports
p50/p99 latency and requests/s of both. Targets: context p99 <= 30 ms and >= 40% of ping's
throughput, flat as the tables grow. Loopback only; every load phase is bounded in time.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

import psycopg
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen  # noqa: E402
import sidebar_seed  # noqa: E402

ADMIN_URL = os.environ.get("CHARGEDESK_TEST_PG_ADMIN_URL", "postgresql://chargedesk:chargedesk@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CHARGEDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
P99_TARGET_MS, THROUGHPUT_TARGET = 30.0, 0.40


def create_database() -> tuple[str, str]:
    name = f"chargedesk_bench_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(db_url: str, instance: str) -> dict[str, str]:
    """Production settings for the server under test (and the same secrets here, to mint tokens)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARGEDESK_")}
    env.update(CHARGEDESK_ENV="production", CHARGEDESK_DATABASE_URL=db_url, CHARGEDESK_REDIS_URL=REDIS_URL,
               CHARGEDESK_SECRET_KEY=secrets.token_urlsafe(48), CHARGEDESK_ENCRYPTION_KEY=Fernet.generate_key().decode(),
               CHARGEDESK_INSTANCE_PATH=instance, PYTHONPATH=str(REPO))
    return env


def prepare_account(env: dict[str, str]) -> tuple[sidebar_seed.Target, object]:
    """Schema, an account with an agent on a Zendesk installation, a Stripe connection; returns a token minter."""
    from backend import create_app, schema
    from backend.accounts import add_user, create_account
    from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token
    from backend.db import engine, transaction
    from backend.models import GatewayConnection, HelpdeskInstallation

    app = create_app({k[len("CHARGEDESK_"):]: v for k, v in env.items() if k.startswith("CHARGEDESK_")})
    with app.app_context():
        schema.upgrade(engine())
        with transaction() as s:
            account = create_account(s, name="Bench Co", slug="bench")
            agent = add_user(s, account, email="agent@bench.example", role="agent", name="Bench Agent")
            installation = HelpdeskInstallation(account_id=account.id, kind="zendesk", external_id="bench")
            connection = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                           credentials={"api_key": "sk_test_bench"})
            s.add_all([installation, connection])
            s.flush()
            ids = (account.id, agent.id, installation.id, connection.id)
    claims = SidebarClaims(account_id=ids[0], installation_id=ids[2], user_id=ids[1], host="zendesk",
                           external_user_id="1")

    def mint() -> str:
        with app.app_context():
            return mint_sidebar_token(claims)

    return sidebar_seed.Target(account_id=ids[0], connection_id=ids[3]), mint


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict[str, str], workers: int, threads: int | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = Path(sys.executable).with_name("chargedesk")
    extra = ["--threads", str(threads)] if threads else []
    proc = subprocess.Popen([str(exe), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), *extra],
                            env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urlopen(f"{base}/ping", timeout=1) as resp:
                if resp.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"chargedesk serve did not start: {proc.stderr.read().decode()[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def context_urls(base: str, customers: int, distinct: int, count: int = 4000) -> list[str]:
    """`count` requests spread at random over `distinct` random customers of the stage."""
    rng = random.Random(customers)
    viewed = rng.sample(range(1, customers + 1), min(distinct, customers))
    picks = [rng.choice(viewed) for _ in range(count)]
    return [f"{base}/api/v1/sidebar/context?email=user{i}%40example.com&ticket={1000 + i % 9000}" for i in picks]


def check_one(url: str, token: str) -> int:
    """Sanity: the context answers 200 with a selected customer; returns its charges shown."""
    import json
    from urllib.request import Request

    with urlopen(Request(url, headers={"Authorization": f"Bearer {token}"}), timeout=10) as resp:
        view = json.loads(resp.read())
    if view["customer"] is None:
        raise SystemExit(f"no customer selected for {url}")
    return len(view["customer"]["charges"])


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def server_pids(proc: subprocess.Popen, db_url: str) -> tuple[list[int], list[int]]:
    """gunicorn's workers, and the database backends serving them (to charge their CPU to requests)."""
    workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
               and _parent(p) == proc.pid]
    with psycopg.connect(db_url) as conn:
        backends = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    return workers, backends


def _parent(proc_dir: Path) -> int | None:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def timed_run(urls, pids_of, **opts) -> tuple[loadgen.Result, tuple[float, float]]:
    """The load run, and the server-side CPU milliseconds per request: (app workers, database)."""
    loadgen.run(urls, **opts)  # the warm-up also opens the pool's database connections
    workers, backends = pids_of()
    before = _cpu_seconds(workers), _cpu_seconds(backends)
    again = loadgen.run(urls, **opts)
    spent = _cpu_seconds(workers) - before[0], _cpu_seconds(backends) - before[1]
    per = 1000 / again.requests if again.requests else 0.0
    return again, (spent[0] * per, spent[1] * per)


def measure_stage(env, args, customers: int, charges: int, token: str) -> dict:
    """First views of customers (their billing is built and kept), then the measured runs: ping,
    and repeat views of the same customers (billing pre-built: the steady state)."""
    proc, base = start_server(env, args.workers, args.threads)
    try:
        urls = context_urls(base, customers, args.customers_viewed)
        shown = check_one(urls[0], token)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        pids_of = lambda: server_pids(proc, env["CHARGEDESK_DATABASE_URL"])  # noqa: E731
        first = loadgen.once_each(list(dict.fromkeys(urls)), headers=headers, concurrency=args.concurrency)
        clients = loadgen.Clients(base, args.concurrency)  # both endpoints over the same connections
        try:
            opts = dict(headers=headers, concurrency=args.concurrency, seconds=args.seconds, warmup=args.warmup,
                        clients=clients)
            hello, hello_cpu = timed_run([f"{base}/ping"], pids_of, **opts)
            context, context_cpu = timed_run(urls, pids_of, **opts)
        finally:
            clients.close()
    finally:
        stop_server(proc)
    return {"customers": customers, "charges": charges, "shown": shown, "hello": hello, "context": context,
            "first": first, "hello_cpu": hello_cpu, "context_cpu": context_cpu}


def _cpu(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f}+{pair[1]:.2f}"


def report(rows: list[dict]) -> bool:
    print(f"\n{'charges':>10} {'customers':>10} | {'ping rps':>9} {'p50':>6} {'p99':>6} {'cpu':>9} | "
          f"{'context rps':>11} {'p50':>6} {'p99':>6} {'cpu':>9} {'errors':>6} | {'ratio':>6} | "
          f"{'first views':>11} {'p50':>6} {'p99':>6}")
    ok = True
    for r in rows:
        h, c, f = r["hello"], r["context"], r["first"]
        ratio = c.rps / h.rps if h.rps else 0.0
        ok &= c.percentile(99) <= P99_TARGET_MS and ratio >= THROUGHPUT_TARGET and c.errors == 0 and f.errors == 0
        print(f"{r['charges']:>10,} {r['customers']:>10,} | {h.rps:>9,.0f} {h.percentile(50):>6.2f} "
              f"{h.percentile(99):>6.2f} {_cpu(r['hello_cpu']):>9} | {c.rps:>11,.0f} {c.percentile(50):>6.2f} "
              f"{c.percentile(99):>6.2f} {_cpu(r['context_cpu']):>9} {c.errors:>6} | {ratio:>6.0%} | "
              f"{f.rps:>11,.0f} {f.percentile(50):>6.2f} {f.percentile(99):>6.2f}")
    print(f"\ntargets: context p99 <= {P99_TARGET_MS:.0f} ms and >= {THROUGHPUT_TARGET:.0%} of ping's "
          f"requests/s -> {'MET' if ok else 'NOT MET'}\n(latencies in ms; cpu = server-side CPU ms per request, "
          f"gunicorn workers + PostgreSQL backends; 'first views' = each customer's first view, which builds "
          f"and keeps its billing, at the same concurrency; machine load average {os.getloadavg()[0]:.1f})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", default="10000,100000,1000000", help="charges in the table at each stage")
    parser.add_argument("--charges-per-customer", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per endpoint and stage")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: serve's)")
    parser.add_argument("--customers-viewed", type=int, default=2000,
                        help="distinct customers the measured views spread over (each first viewed once before)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    name, db_url = create_database()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as instance:
            env = app_env(db_url, instance)
            target, mint = prepare_account(env)
            with psycopg.connect(db_url) as conn:
                for total in (int(s) for s in args.stages.split(",")):
                    started = time.monotonic()
                    customers, charges = sidebar_seed.grow(conn, target, charges_total=total,
                                                           charges_per_customer=args.charges_per_customer)
                    conn.commit()
                    # The state autovacuum reaches after such growth (statistics, visibility map),
                    # reached now rather than by a vacuum running during the measurement.
                    conn.autocommit = True
                    conn.execute("VACUUM (ANALYZE)")
                    conn.autocommit = False
                    print(f"seeded {charges:,} charges / {customers:,} customers in {time.monotonic() - started:.1f}s",
                          flush=True)
                    rows.append(measure_stage(env, args, customers, charges, mint()))
                    print(f"  context shows {rows[-1]['shown']} charges for a sample customer", flush=True)
    finally:
        if not args.keep:
            drop_database(name)
    return 0 if report(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

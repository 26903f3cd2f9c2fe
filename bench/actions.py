"""Benchmark: click-to-succeeded latency of refunds, beside a bare RQ no-op round trip.

    .venv/bin/python bench/actions.py [--count 500]

Builds a throwaway PostgreSQL database and claims a free Redis database (as the tests do), runs the
Stripe sandbox in its own process, seeds and mirrors one charge per refund, and starts ONE real
`chargedesk worker` (RQ SimpleWorker). Each iteration times:

  * bare RQ: enqueue a no-op job on the same queue -> its result is stored;
  * action:  POST /api/v1/actions (in-process Flask client) -> the run's job (job id = run id)
             has returned, i.e. after the commit that made the run `succeeded` (checked after).

Both wait the same way, blocked on RQ's result stream rather than polling (on a 2-core machine a
busy poller steals the worker's CPU). Iterations alternate so both see the same machine.
The action's time is then split by stage: the bench's own marks (click, 202, result seen) and the
run row's created/claimed/finished timestamps, all from one clock.
Targets: action p50 <= 50 ms, p99 <= 150 ms; the ratio to the bare round trip is reported.
Not part of the test suite: it takes ~30 s and prints a report.
"""
from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PG_ADMIN_URL = os.environ.get("CHARGEDESK_TEST_PG_ADMIN_URL",
                              "postgresql://chargedesk:chargedesk@127.0.0.1:5432/postgres")
REDIS_SERVER = os.environ.get("CHARGEDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
QUEUE = "chargedesk-bench"
API_KEY = "sk_test_chargedesk_bench"


def noop() -> None:
    """The bare job: RQ's own overhead, nothing of ours."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def claim_redis_db() -> str:
    from redis import Redis

    for index in range(15, 0, -1):
        url = f"{REDIS_SERVER}/{index}"
        if Redis.from_url(url).set("chargedesk:test-run", os.getpid(), nx=True, ex=3600):
            return url
    raise SystemExit("no free Redis database")


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"chargedesk_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_sandbox() -> tuple[subprocess.Popen, str]:
    import requests

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "backend.integrations.gateways.stripe.sandbox", "--port",
                             str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.post(f"{url}/_sandbox/reset", timeout=1)
            return proc, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("the sandbox did not start")


def seed(url: str, count: int) -> None:
    import requests

    auth = {"Authorization": f"Bearer {API_KEY}"}
    customer = requests.post(f"{url}/v1/customers", data={"email": "bench@example.com"}, headers=auth).json()["id"]
    requests.post(f"{url}/_sandbox/seed_charges", json={"customer": customer, "count": count, "amount": 2000})


def settings(db_url: str, redis_url: str, tmp: Path) -> dict:
    from cryptography.fernet import Fernet

    return {"ENV": "test", "DATABASE_URL": db_url, "REDIS_URL": redis_url, "QUEUE_NAME": QUEUE,
            "SECRET_KEY": secrets.token_urlsafe(48), "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "INSTANCE_PATH": str(tmp)}


def prepare_app(config: dict, sandbox_url: str):
    """Schema, account, owner, API key, Stripe connection, mirrored charges."""
    from sqlalchemy import create_engine

    from backend import create_app, crypto, schema
    from backend.accounts import add_user, create_account
    from backend.auth.api_keys import create_api_key
    from backend.db import transaction
    from backend.models import GatewayConnection
    from backend.sync.backfill import sync_connection_now

    crypto.configure((config["ENCRYPTION_KEY"],))
    engine = create_engine(config["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
    schema.upgrade(engine)
    engine.dispose()
    app = create_app(config)
    with app.app_context():
        with transaction() as s:
            account = create_account(s, name="Bench Inc", slug="bench")
            add_user(s, account, email="owner@bench.test", role="owner")
            _row, key = create_api_key(s, account, "bench")
            conn = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": API_KEY},
                                     api_base=sandbox_url)
            s.add(conn)
        sync_connection_now(conn.id)
    return app, key


def start_worker(config: dict) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARGEDESK_")}
    env.update({f"CHARGEDESK_{k}": v for k, v in config.items()}, PYTHONPATH=str(REPO))
    exe = Path(sys.executable).with_name("chargedesk")
    return subprocess.Popen([str(exe), "worker", "--name", f"bench-{os.getpid()}"], env=env, cwd=REPO)


def wait_finished(job) -> None:
    """Block on RQ's result stream (no polling: on 2 cores a busy poller slows the worker down)."""
    result = job.latest_result(timeout=10)
    if result is None or result.type != result.Type.SUCCESSFUL:
        raise SystemExit(f"job {job.id} did not finish: {result and result.exc_string}")


def time_noop(queue) -> float:
    start = time.perf_counter()
    job = queue.enqueue("bench.actions.noop", result_ttl=60)  # by name: the worker imports it
    wait_finished(job)
    return time.perf_counter() - start


def time_refund(client, headers: dict, charge_id: int, redis) -> tuple[float, str, tuple[float, float, float]]:
    """POST, then wait for the run's job (job id = run id): it returns after the success commit.

    Also returns wall-clock marks (click, 202 received, result seen) to split the time by stage
    with the run's own timestamps (same machine, same clock).
    """
    from rq.job import Job

    start, clicked = time.perf_counter(), time.time()
    resp = client.post("/api/v1/actions", headers=headers, json={
        "kind": "refund", "target": charge_id, "params": {"amount": 500}, "reason": "requested_by_customer",
        "idempotency_key": str(uuid.uuid4())})
    if resp.status_code != 202:
        raise SystemExit(f"POST failed: {resp.status_code} {resp.get_json()}")
    accepted = time.time()
    run_id = resp.get_json()["id"]
    wait_finished(Job.fetch(run_id, connection=redis))
    return time.perf_counter() - start, run_id, (clicked, accepted, time.time())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


def summary(name: str, values: list[float]) -> str:
    return (f"{name:<26} n={len(values):<4} p50={pct(values, 50):7.2f} ms  p90={pct(values, 90):7.2f} ms  "
            f"p99={pct(values, 99):7.2f} ms  mean={statistics.mean(values) * 1000:7.2f} ms  "
            f"max={max(values) * 1000:7.2f} ms")


def measure(app, key: str, redis_url: str, count: int, warmup: int) -> tuple[list, list, list]:
    from redis import Redis
    from rq import Queue
    from sqlalchemy import select

    from backend.db import session
    from backend.models import Charge

    redis = Redis.from_url(redis_url)
    queue = Queue(QUEUE, connection=redis)
    headers, client = {"Authorization": f"Bearer {key}"}, app.test_client()
    with app.app_context():
        charges = list(session().scalars(select(Charge.id).order_by(Charge.id)))
    noops, actions, marks = [], [], {}
    for i in range(warmup + count):
        bare = time_noop(queue)
        elapsed, run_id, run_marks = time_refund(client, headers, charges[i], redis)
        if i >= warmup:
            noops.append(bare)
            actions.append(elapsed)
            marks[run_id] = run_marks
    return noops, actions, marks


def check_all_succeeded(app, run_ids: list[str]) -> None:
    from sqlalchemy import func, select

    from backend.db import session
    from backend.models import ActionRun

    with app.app_context():
        done = session().scalar(select(func.count()).where(ActionRun.id.in_(run_ids),
                                                            ActionRun.status == "succeeded"))
    if done != len(run_ids):
        raise SystemExit(f"only {done} of {len(run_ids)} runs succeeded")


def stages(app, marks: dict[str, tuple[float, float, float]]) -> str:
    """Where the time goes, from the bench's marks and the run rows (one clock, one machine)."""
    from sqlalchemy import select

    from backend.db import session
    from backend.models import ActionRun

    with app.app_context():
        rows = session().execute(select(ActionRun.id, ActionRun.created_at, ActionRun.claimed_at,
                                        ActionRun.finished_at).where(ActionRun.id.in_(marks))).all()
    split = {"click -> run row": [], "run row -> 202": [], "created -> claimed": [], "claimed -> finished": [],
             "finished -> job result": []}
    for run_id, created, claimed, finished in rows:
        clicked, accepted, seen = marks[run_id]
        created, claimed, finished = created.timestamp(), claimed.timestamp(), finished.timestamp()
        for name, value in zip(split, (created - clicked, accepted - created, claimed - created,
                                       finished - claimed, seen - finished)):
            split[name].append(value)
    return "\n".join(summary(f"  {name}", values) for name, values in split.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    import tempfile

    db_name, db_url = create_database()
    redis_url = claim_redis_db()
    sandbox, sandbox_url = start_sandbox()
    worker = None
    try:
        seed(sandbox_url, args.count + args.warmup)
        config = settings(db_url, redis_url, Path(tempfile.mkdtemp(prefix="chargedesk-bench-")))
        app, key = prepare_app(config, sandbox_url)
        worker = start_worker(config)
        noops, actions, marks = measure(app, key, redis_url, args.count, args.warmup)
        check_all_succeeded(app, list(marks))
        print(summary("bare RQ no-op", noops))
        print(summary("refund click->succeeded", actions))
        print(stages(app, marks))
        p50, p99 = pct(actions, 50), pct(actions, 99)
        print(f"ratio to bare RQ: p50 {p50 / pct(noops, 50):.1f}x, p99 {p99 / pct(noops, 99):.1f}x")
        print(f"targets: p50 <= 50 ms {'PASS' if p50 <= 50 else 'FAIL'}, p99 <= 150 ms {'PASS' if p99 <= 150 else 'FAIL'}")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        sandbox.terminate()
        from redis import Redis

        Redis.from_url(redis_url).flushdb()
        drop_database(db_name)


if __name__ == "__main__":
    main()

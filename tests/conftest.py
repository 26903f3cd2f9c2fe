"""Test fixtures: a fresh PostgreSQL database per run, a real Redis, real RQ workers.

Each test that uses the app starts from empty tables (TRUNCATE after the test) and an empty
Redis database, so tests are isolated even when a worker in another process touches the data.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from redis import Redis
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "CHARGEDESK_TEST_PG_ADMIN_URL", "postgresql://chargedesk:chargedesk@127.0.0.1:5432/postgres")
REDIS_SERVER_URL = os.environ.get("CHARGEDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


def _redis_db_url() -> str:
    """This process's own database on the run's Redis server (one per pytest-xdist worker).

    The server is private to the run (scripts/test starts one), so nothing needs claiming."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
    return f"{REDIS_SERVER_URL}/{int(worker.removeprefix('gw')) + 2}"


REDIS_URL = _redis_db_url()
SECRET_KEY = secrets.token_urlsafe(48)
ENCRYPTION_KEY = Fernet.generate_key().decode()


def _guard_network() -> None:
    """Tests never leave the machine: refuse connections to anything but loopback."""
    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
            if not (host.startswith("127.") or host in ("localhost", "::1")):
                raise OSError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    socket.socket.connect = connect


_guard_network()


@pytest.fixture(scope="session", autouse=True)
def _release_redis_db():
    yield
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()


@pytest.fixture(scope="session")
def database_url():
    name = f"chargedesk_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    from backend import crypto, schema

    crypto.configure((ENCRYPTION_KEY,))
    engine = create_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app_settings(database_url, tmp_path_factory):
    return {
        "ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        "ENCRYPTION_KEY": ENCRYPTION_KEY,
        "BASE_URL": "http://testserver",
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "QUEUE_NAME": "chargedesk-test",
    }


@pytest.fixture(scope="session")
def worker_env(app_settings):
    """Environment for subprocesses (CLI, RQ workers) pointing at the same database and Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARGEDESK_")}
    env.update({f"CHARGEDESK_{k}": v for k, v in app_settings.items()})
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.fixture(scope="session")
def app(app_settings):
    from backend import create_app

    return create_app(app_settings)


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Empty tables and Redis after every test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from backend import db
    from backend.models import Base

    with app.app_context():
        db.session().rollback()
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with db.engine().begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()


@pytest.fixture
def ctx(app):
    """An app context with a clean session for the test body."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def account(ctx):
    from backend.accounts import add_user, create_account
    from backend.db import transaction

    with transaction() as s:
        acct = create_account(s, name="Acme Inc", slug="acme")
        add_user(s, acct, email="owner@acme.test", role="owner", name="Olga Owner")
    return acct


@pytest.fixture
def api_key(account):
    from backend.auth.api_keys import create_api_key
    from backend.db import transaction

    with transaction() as s:
        _row, key = create_api_key(s, account, "tests")
    return key


@pytest.fixture
def auth_headers(api_key):
    return {"Authorization": f"Bearer {api_key}"}


def run_cli(args: list[str], env: dict, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the real `chargedesk` console script."""
    exe = Path(sys.executable).with_name("chargedesk")
    return subprocess.run([str(exe), *args], env=env, cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=timeout)


class WorkerProcess:
    def __init__(self, env: dict, name: str, burst: bool = False):
        exe = Path(sys.executable).with_name("chargedesk")
        args = [str(exe), "worker", "--name", name] + (["--burst"] if burst else [])
        self.proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""


@pytest.fixture
def rq_worker(worker_env, app):
    """A real RQ worker process (`chargedesk worker`) on the test queue."""
    workers: list[WorkerProcess] = []

    def start(name: str | None = None, env_extra: dict | None = None) -> WorkerProcess:
        env = dict(worker_env, **(env_extra or {}))
        w = WorkerProcess(env, name or f"test-worker-{secrets.token_hex(3)}")
        workers.append(w)
        return w

    yield start
    for w in workers:
        output = w.stop()
        if output.strip():
            print(f"--- output of {w.proc.args[-1]} ---\n{output}")  # shown by pytest when a test fails


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")

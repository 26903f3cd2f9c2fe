"""Many agents clicking Refund at once in one account, through the real server (gunicorn) on PostgreSQL.

Every submission must be accepted (202): the run insert and the audit append lock the account row
in compatible modes, and a transaction the database aborts (deadlock, serialization) is retried.
A real RQ worker then runs them; the gateway refunds exactly what the succeeded runs say, and runs
the gateway refuses (the charge is used up) end as `failed` with its message.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from backend.models import Charge
from tests.actions.conftest import row, run_row, wait_status
from tests.conftest import REPO


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(worker_env, app):
    """`chargedesk serve` (gunicorn, 2 workers x 8 threads) on the test database and Redis."""
    port = _free_port()
    exe = Path(sys.executable).with_name("chargedesk")
    proc = subprocess.Popen([str(exe), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                             "--threads", "8"], env=worker_env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/ping", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"chargedesk serve did not come up: {proc.stdout.read().decode(errors='replace')}")
    yield url
    proc.terminate()
    try:
        output = proc.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0]
    if output.strip():
        print(f"--- output of chargedesk serve ---\n{output.decode(errors='replace')}")


def _submit_all(url: str, headers: dict, bodies: list[dict]) -> list[requests.Response]:
    """POST every body at the same moment, one thread (and connection) each."""
    barrier, answers = threading.Barrier(len(bodies)), [None] * len(bodies)

    def click(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = requests.post(f"{url}/api/v1/actions", json=bodies[i], headers=headers, timeout=60)
        except requests.RequestException as exc:  # reported by the caller's assertion, not lost in a thread
            answers[i] = SimpleNamespace(status_code=repr(exc), text=repr(exc))

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(bodies))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return answers


def _refund(target: int, amount: int) -> dict:
    return {"kind": "refund", "target": target, "params": {"amount": amount}, "reason": "duplicate",
            "idempotency_key": str(uuid.uuid4())}


def test_twenty_simultaneous_refunds_of_one_charge_are_all_accepted(ctx, account, auth_headers, shop, mirror,
                                                                     live_server, rq_worker):
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    target = row(Charge, external_id=charge_id).id
    answers = _submit_all(live_server, auth_headers, [_refund(target, 150) for _ in range(20)])
    assert [a.status_code for a in answers] == [202] * 20, [a.text for a in answers if a.status_code != 202]

    rq_worker()
    runs = [wait_status(a.json()["id"], "succeeded", "failed", timeout=60) for a in answers]
    succeeded = [r for r in runs if r.status == "succeeded"]
    failed = [r for r in runs if r.status == "failed"]
    refunds = shop.refunds_of(charge_id)
    assert sum(r["amount"] for r in refunds) == 150 * len(succeeded)
    assert sorted(r["metadata"]["chargedesk_key"] for r in refunds) == sorted(r.id for r in succeeded)
    assert len(succeeded) == 13 and len(failed) == 7  # 13 x 1.50 fit in 20.00; the gateway refuses the rest
    assert all(r.error_message and r.finished_at for r in failed)
    assert row(Charge, id=target).amount_refunded_minor == 1950


def test_two_agents_refunding_different_customers_at_once_both_succeed(ctx, account, auth_headers, shop, mirror,
                                                                        live_server):
    pairs = [(shop.charge(shop.customer(f"a{i}@example.com"), 1000),
              shop.charge(shop.customer(f"b{i}@example.com"), 1000)) for i in range(6)]
    mirror()
    for first, second in pairs:  # one round per pair: each round is one chance to deadlock
        bodies = [_refund(row(Charge, external_id=first).id, 100), _refund(row(Charge, external_id=second).id, 100)]
        answers = _submit_all(live_server, auth_headers, bodies)
        assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
        assert {run_row(a.json()["id"]).status for a in answers} == {"queued"}


def _deadlock_one_submission(app, database_url, auth_headers, target: int, account_id: int, customer_id: int):
    """Submit a refund while another transaction makes a real lock cycle with it.

    The other transaction locks the customer's view row (which the run insert's trigger needs),
    waits until the submission is blocked on it, then asks for the account row FOR UPDATE (which
    conflicts with the KEY SHARE the submission's insert holds). PostgreSQL aborts the submission
    (it waited first) with `deadlock detected`; the other transaction then commits."""
    import psycopg

    answer: list = []
    body = _refund(target, 100)
    with psycopg.connect(database_url.replace("+psycopg", "")) as other:
        other.execute("UPDATE customer_views SET version = version WHERE customer_id = %s", (customer_id,))
        thread = threading.Thread(target=lambda: answer.append(
            app.test_client().post("/api/v1/actions", json=body, headers=auth_headers)))
        thread.start()
        _wait_until_blocked(other)
        other.execute("SELECT id FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
        other.commit()
        thread.join(timeout=30)
    return answer[0]


def _wait_until_blocked(conn) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        waiting = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]
        if waiting:
            return
        time.sleep(0.02)
    pytest.fail("the submission never waited for the view row")


def _one_charge(shop, mirror):
    from backend.models import Customer

    customer = shop.customer()
    charge_id = shop.charge(customer, 2000)
    mirror()
    return row(Charge, external_id=charge_id).id, row(Customer, external_id=customer).id


def test_a_submission_aborted_by_a_deadlock_is_retried(app, ctx, account, auth_headers, shop, mirror, database_url,
                                                       caplog):
    target, customer_id = _one_charge(shop, mirror)
    answer = _deadlock_one_submission(app, database_url, auth_headers, target, account.id, customer_id)
    assert answer.status_code == 202, answer.json
    assert run_row(answer.json["id"]).status == "queued"
    assert "aborted by the database (40P01)" in caplog.text


def test_a_submission_that_keeps_deadlocking_gets_503_and_leaves_nothing(app, ctx, account, auth_headers, shop,
                                                                         mirror, database_url, monkeypatch):
    from backend.actions import intake
    from backend.db import session
    from backend.models import ActionRun

    monkeypatch.setattr(intake, "INTAKE_ATTEMPTS", 1)
    target, customer_id = _one_charge(shop, mirror)
    answer = _deadlock_one_submission(app, database_url, auth_headers, target, account.id, customer_id)
    assert answer.status_code == 503, answer.json
    assert "nothing was recorded" in answer.json["message"] and "again" in answer.json["message"]
    session().expire_all()
    assert session().query(ActionRun).count() == 0

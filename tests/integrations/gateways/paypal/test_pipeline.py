"""End to end: POST /api/v1/actions -> a real RQ worker -> PayPalAdapter (paypal-server-sdk) -> the
sandbox, including a worker killed right after PayPal accepted the refund (recovered once by the
reaper, no double refund) and a response lost after the refund was made (found by its run id)."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from backend.db import session
from tests.conftest import run_cli, wait_for


@pytest.fixture
def connection(ctx, account, sandbox):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="paypal", name="PayPal",
                                 credentials=sandbox.credentials(), api_base=sandbox.url)
        s.add(conn)
    return conn


@pytest.fixture
def mirror(connection):
    from backend.sync.backfill import sync_connection_now

    def run():
        sync_connection_now(connection.id)
        session().expire_all()
    return run


def row(model, **by):
    session().expire_all()
    return session().scalars(select(model).filter_by(**by)).one()


def run_row(run_id):
    from backend.models import ActionRun
    return row(ActionRun, id=run_id)


def wait_status(run_id, *statuses, timeout=30.0):
    return wait_for(lambda: (r := run_row(run_id)).status in statuses and r, timeout=timeout,
                    message=f"run {run_id} to become {'/'.join(statuses)}")


def refund_posts(sandbox, capture_id) -> list:
    return [r for r in sandbox.requests if r["method"] == "POST" and r["path"] == f"/v2/payments/captures/{capture_id}/refund"]


def queued_refund(sandbox, mirror, client, auth_headers, *, amount=600):
    from backend.models import Charge

    capture_id = sandbox.add_capture("buyer@example.com", "20.00")
    mirror()
    charge = row(Charge, external_id=capture_id)
    assert charge.customer_id is not None
    response = client.post("/api/v1/actions", headers=auth_headers, json={
        "kind": "refund", "target": charge.id, "params": {"amount": amount}, "reason": "duplicate",
        "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 202, response.json
    return capture_id, response.json["id"]


def test_a_refund_runs_through_the_worker_to_paypal(sandbox, mirror, client, auth_headers, rq_worker):
    from backend.models import Refund

    capture_id, run_id = queued_refund(sandbox, mirror, client, auth_headers)
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed")
    assert done.status == "succeeded", done.error_message
    assert done.result["summary"] == "Refunded $6.00 of $20.00"
    (refund,) = sandbox.objects("refunds")
    assert (str(refund["value"]), refund["custom_id"]) == ("6.00", run_id)
    assert [p["request_id"] for p in refund_posts(sandbox, capture_id)] == [run_id]
    assert row(Refund, external_id=refund["id"]).action_run_id == run_id


def test_worker_killed_after_paypal_accepted_is_recovered_once(sandbox, mirror, client, auth_headers,
                                                                rq_worker, worker_env):
    from backend.models import Refund

    capture_id, run_id = queued_refund(sandbox, mirror, client, auth_headers)
    doomed = rq_worker(env_extra={"CHARGEDESK_TEST_CRASH_AFTER_GATEWAY": "1"})
    wait_for(lambda: doomed.proc.poll() is not None, timeout=30, message="the worker to die mid-run")
    assert run_row(run_id).status == "running" and len(sandbox.objects("refunds")) == 1

    reaped = run_cli(["actions", "reap", "--older-than", "0"], worker_env)
    assert reaped.returncode == 0, reaped.stderr
    assert f"{run_id}: completed" in reaped.stdout
    done = run_row(run_id)
    assert done.status == "succeeded" and done.result["summary"] == "Refunded $6.00 of $20.00"
    (refund,) = sandbox.objects("refunds")
    assert row(Refund, external_id=refund["id"]).action_run_id == run_id

    rq_worker()  # a healthy worker picks up whatever RQ still holds for that run: nothing happens
    time.sleep(2)
    assert [str(r["value"]) for r in sandbox.objects("refunds")] == ["6.00"]
    assert len(refund_posts(sandbox, capture_id)) == 1


def test_a_lost_response_is_found_by_reconcile_not_repeated(sandbox, mirror, client, auth_headers, rq_worker):
    capture_id, run_id = queued_refund(sandbox, mirror, client, auth_headers)
    sandbox.fail_next(1, status=502, path_prefix=f"/v2/payments/captures/{capture_id}/refund", method="POST",
                      after_commit=True)
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed", timeout=40)
    assert done.status == "succeeded" and done.attempts == 2, done.error_message
    assert [str(r["value"]) for r in sandbox.objects("refunds")] == ["6.00"]
    assert len(refund_posts(sandbox, capture_id)) == 1  # the retry found the refund by its run id


def test_an_over_refund_fails_the_run_with_paypals_reason(sandbox, mirror, client, auth_headers, rq_worker):
    capture_id, run_id = queued_refund(sandbox, mirror, client, auth_headers, amount=1500)
    sandbox.add_refund(capture_id, "10.00")  # meanwhile, in the PayPal dashboard
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed")
    assert done.status == "failed" and "must be less than or equal" in done.error_message
    assert [str(r["value"]) for r in sandbox.objects("refunds")] == ["10.00"]


def test_a_cancel_carries_the_agents_reason_to_paypal(sandbox, mirror, client, auth_headers, rq_worker):
    """PayPal records why a subscription ended: the agent's note reaches it through the pipeline."""
    from backend.models import Subscription

    sub_id = sandbox.add_subscription("subscriber@example.com")
    mirror()
    subscription = row(Subscription, external_id=sub_id)
    response = client.post("/api/v1/actions", headers=auth_headers, json={
        "kind": "cancel_subscription", "target": subscription.id, "target_type": "subscription",
        "params": {}, "reason": "other", "note": "Customer  moved to the annual plan by phone",
        "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 202, response.json
    rq_worker()
    done = wait_status(response.json["id"], "succeeded", "failed")
    assert done.status == "succeeded", done.error_message
    (stored,) = [s for s in sandbox.objects("subscriptions") if s["id"] == sub_id]
    assert stored["status"] == "CANCELLED"
    assert stored["status_change_note"] == "Customer moved to the annual plan by phone"

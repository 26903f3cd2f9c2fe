"""End to end: POST /api/v1/actions -> a real RQ worker -> WooCommerceAdapter -> the sandbox shop,
including a worker killed right after WooCommerce accepted the refund (recovered once, no double
refund) and a response lost after the refund was made (found by its run id, not repeated)."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select

from backend.db import session
from tests.conftest import run_cli, wait_for

from .conftest import WEBHOOK_SECRET


@pytest.fixture
def connection(ctx, account, sandbox):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="woocommerce", name="Shop",
                                 credentials=sandbox.credentials(), api_base=sandbox.url,
                                 webhook_secrets=[WEBHOOK_SECRET], settings={"subscriptions_extension": True})
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


def refund_posts(sandbox, order_id) -> int:
    return sum(1 for r in sandbox.requests if r["method"] == "POST" and r["path"] == f"/orders/{order_id}/refunds")


def queued_refund(sandbox, mirror, client, auth_headers, *, amount=600, payment_method="stripe"):
    from backend.models import Charge

    customer = sandbox.add_customer("buyer@example.com")
    order = sandbox.add_order(total="20.00", customer_id=customer["id"], payment_method=payment_method)
    mirror()
    charge = row(Charge, external_id=str(order["id"]))
    response = client.post("/api/v1/actions", headers=auth_headers, json={
        "kind": "refund", "target": charge.id, "params": {"amount": amount}, "reason": "duplicate",
        "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 202, response.json
    return order["id"], response.json["id"]


def test_a_refund_runs_through_the_worker_to_the_shop(sandbox, mirror, client, auth_headers, rq_worker):
    from backend.models import Refund

    order_id, run_id = queued_refund(sandbox, mirror, client, auth_headers)
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed")
    assert done.status == "succeeded", done.error_message
    assert done.result["summary"] == "Refunded $6.00 of $20.00"
    (refund,) = sandbox.objects("refunds")
    assert (refund["amount"], refund["refunded_payment"]) == ("6.00", True)
    assert {"key": "chargedesk_run_id", "value": run_id} in [{"key": m["key"], "value": m["value"]}
                                                            for m in refund["meta_data"]]
    assert row(Refund, external_id=str(refund["id"])).action_run_id == run_id


def test_worker_killed_after_the_shop_accepted_is_recovered_once(sandbox, mirror, client, auth_headers,
                                                                 rq_worker, worker_env, account):
    from backend.models import Refund

    order_id, run_id = queued_refund(sandbox, mirror, client, auth_headers)
    doomed = rq_worker(env_extra={"CHARGEDESK_TEST_CRASH_AFTER_GATEWAY": "1"})
    wait_for(lambda: doomed.proc.poll() is not None, timeout=30, message="the worker to die mid-run")
    assert run_row(run_id).status == "running" and len(sandbox.objects("refunds")) == 1

    reaped = run_cli(["actions", "reap", "--older-than", "0"], worker_env)
    assert reaped.returncode == 0, reaped.stderr
    assert f"{run_id}: completed" in reaped.stdout
    done = run_row(run_id)
    assert done.status == "succeeded" and done.result["summary"] == "Refunded $6.00 of $20.00"
    (refund,) = sandbox.objects("refunds")
    assert row(Refund, external_id=str(refund["id"])).action_run_id == run_id

    rq_worker()  # a healthy worker picks up whatever RQ still holds for that run: nothing happens
    time.sleep(2)
    assert [r["amount"] for r in sandbox.objects("refunds")] == ["6.00"]
    assert refund_posts(sandbox, order_id) == 1


def test_a_lost_response_is_found_by_reconcile_not_repeated(sandbox, mirror, client, auth_headers, rq_worker):
    order_id, run_id = queued_refund(sandbox, mirror, client, auth_headers)
    sandbox.fail_next(1, status=502, path_prefix=f"/orders/{order_id}/refunds", method="POST", after_commit=True)
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed", timeout=40)
    assert done.status == "succeeded" and done.attempts == 2, done.error_message
    assert [r["amount"] for r in sandbox.objects("refunds")] == ["6.00"]
    assert refund_posts(sandbox, order_id) == 1  # the retry found the refund by its run id


def test_a_shop_gateway_without_automatic_refunds_fails_the_run_clearly(sandbox, mirror, client, auth_headers,
                                                                      rq_worker):
    _order_id, run_id = queued_refund(sandbox, mirror, client, auth_headers, payment_method="bacs")
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed")
    assert done.status == "failed" and "does not support automatic refunds" in done.error_message
    assert done.attempts == 1 and sandbox.objects("refunds") == []

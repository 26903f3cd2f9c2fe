"""Exactly once under races, gateway errors, lost responses and a worker killed mid-call."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend import jobs
from backend.actions.pipeline import ACTION_RETRY, MAX_ATTEMPTS, claim_run, execute_run
from backend.actions.reaper import reap_stale_runs
from backend.db import session, transaction
from backend.integrations.gateways.errors import GatewayUnavailable
from backend.models import ActionRun, Charge, Refund, utcnow
from tests.actions.conftest import audit_events, row, run_row, settle, wait_status
from tests.conftest import run_cli, wait_for


def _queued_refund(shop, mirror, act, amount=600):
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    resp = act("refund", row(Charge, external_id=charge_id).id, params={"amount": amount}, reason="duplicate")
    assert resp.status_code == 202, resp.json
    return charge_id, resp.json["id"]


def test_only_one_of_many_concurrent_claims_wins(app, ctx, account, shop, mirror, act):
    _charge, run_id = _queued_refund(shop, mirror, act)
    barrier, winners = threading.Barrier(8), []

    def claim(n):
        with app.app_context():
            barrier.wait()
            winners.append(claim_run(run_id, f"claimer-{n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len([w for w in winners if w is not None]) == 1
    assert run_row(run_id).attempts == 1 and audit_events(account.id, run_id).count("action.started") == 1


def test_two_workers_racing_on_one_run_refund_once(ctx, account, shop, mirror, act, rq_worker):
    charge_id, run_id = _queued_refund(shop, mirror, act)
    jobs.enqueue(execute_run, run_id, job_id=f"{run_id}-duplicate", retry=ACTION_RETRY)  # a second job, same run
    rq_worker(name="racer-a")
    rq_worker(name="racer-b")
    wait_status(run_id, "succeeded")
    settle(1.5)  # both jobs have run by now
    assert len(shop.refunds_of(charge_id)) == 1
    assert run_row(run_id).attempts == 1
    assert shop.posts("/v1/refunds") == ["/v1/refunds"]


def test_server_errors_are_retried_with_backoff_and_refund_once(ctx, account, shop, mirror, act, rq_worker):
    charge_id, run_id = _queued_refund(shop, mirror, act)
    shop.sb.fail_next(2, status=500, path_prefix="/v1/refunds")
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed", timeout=30)
    assert done.status == "succeeded", done.error_message
    assert [r["amount"] for r in shop.refunds_of(charge_id)] == [600]
    assert audit_events(account.id, run_id).count("action.retry") == 2
    assert done.attempts == 3


def test_lost_response_is_found_by_reconcile_not_repeated(ctx, account, shop, mirror, act, rq_worker):
    """The refund happened but the 500 hid it: the retry asks Stripe first and finds it."""
    charge_id, run_id = _queued_refund(shop, mirror, act)
    shop.sb.fail_next(1, status=500, path_prefix="/v1/refunds", after_commit=True)
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed", timeout=30)
    assert done.status == "succeeded" and done.attempts == 2
    assert len(shop.refunds_of(charge_id)) == 1
    assert shop.posts("/v1/refunds") == ["/v1/refunds"]  # the retry reconciled instead of posting again


def test_final_gateway_error_fails_with_the_gateways_message(ctx, account, shop, mirror, act, rq_worker):
    charge_id, run_id = _queued_refund(shop, mirror, act, amount=2000)
    shop.v1.refunds.create({"charge": charge_id, "amount": 1500})  # refunded in the dashboard meanwhile
    rq_worker()
    done = wait_status(run_id, "succeeded", "failed")
    assert done.status == "failed" and "greater than" in done.error_message
    assert audit_events(account.id, run_id)[-1] == "action.failed"
    assert [r["amount"] for r in shop.refunds_of(charge_id)] == [1500]


def test_worker_killed_after_the_gateway_accepted_is_recovered_once(ctx, account, shop, mirror, act, rq_worker,
                                                                    worker_env):
    charge_id, run_id = _queued_refund(shop, mirror, act)
    doomed = rq_worker(env_extra={"CHARGEDESK_TEST_CRASH_AFTER_GATEWAY": "1"})
    wait_for(lambda: doomed.proc.poll() is not None, message="the worker to die mid-run")
    assert run_row(run_id).status == "running" and len(shop.refunds_of(charge_id)) == 1

    reaped = run_cli(["actions", "reap", "--older-than", "0"], worker_env)
    assert reaped.returncode == 0, reaped.stderr
    assert f"{run_id}: completed" in reaped.stdout
    done = run_row(run_id)
    assert done.status == "succeeded" and done.result["summary"] == "Refunded $6.00 of $20.00"
    assert audit_events(account.id, run_id)[-1] == "action.recovered"
    assert row(Refund, external_id=shop.refunds_of(charge_id)[0]["id"]).action_run_id == run_id

    rq_worker()  # a healthy worker picks up whatever RQ still holds for that run: nothing happens
    settle(2)
    assert len(shop.refunds_of(charge_id)) == 1 and shop.posts("/v1/refunds") == ["/v1/refunds"]


def test_reaper_requeues_a_run_the_gateway_never_saw(ctx, account, shop, mirror, act, rq_worker):
    charge_id, run_id = _queued_refund(shop, mirror, act)
    with transaction() as s:  # a worker claimed it, then died before calling Stripe
        s.execute(update(ActionRun).where(ActionRun.id == run_id).values(
            status="running", attempts=1, claimed_by="dead:1", claimed_at=utcnow() - timedelta(minutes=5)))
    outcomes = reap_stale_runs(older_than=60)
    assert [(o.run_id, o.decision) for o in outcomes] == [(run_id, "requeued")]
    rq_worker()
    assert wait_status(run_id, "succeeded").attempts == 2
    assert len(shop.refunds_of(charge_id)) == 1
    events = audit_events(account.id, run_id)
    assert events.count("action.recovered") == 1 and events[-1] == "action.succeeded"


def test_reaper_leaves_fresh_runs_alone(ctx, account, shop, mirror, act):
    _charge, run_id = _queued_refund(shop, mirror, act)
    assert claim_run(run_id, "alive:1") is not None
    assert reap_stale_runs(older_than=60) == []
    session().expire_all()
    assert run_row(run_id).claimed_by == "alive:1"


def test_retries_are_bounded_then_the_run_fails_without_paying(ctx, account, shop, mirror, act):
    """In-process attempts (RQ's backoff skipped): every attempt and the final reconcile see a 503."""
    charge_id, run_id = _queued_refund(shop, mirror, act)
    shop.sb.fail_next(100, status=503, path_prefix="/v1/refunds")
    for _attempt in range(MAX_ATTEMPTS - 1):
        with pytest.raises(GatewayUnavailable):
            execute_run(run_id)  # re-raised so RQ schedules the next attempt
        assert run_row(run_id).status == "queued"
    execute_run(run_id)  # the last attempt gives a final answer
    done = run_row(run_id)
    assert done.status == "failed" and f"gave up after {MAX_ATTEMPTS} attempts" in done.error_message
    assert audit_events(account.id, run_id).count("action.retry") == MAX_ATTEMPTS - 1
    assert shop.refunds_of(charge_id) == []


def test_no_database_transaction_is_open_while_the_gateway_is_called(ctx, account, shop, mirror, act,
                                                                     monkeypatch):
    """A slow gateway (up to its timeout) must not keep a transaction idle on the database."""
    from backend.actions import pipeline

    _charge, run_id = _queued_refund(shop, mirror, act)
    during = []
    real_call = pipeline.call_gateway

    def spy(adapter, run):
        during.append(session().in_transaction())
        return real_call(adapter, run)

    monkeypatch.setattr(pipeline, "call_gateway", spy)
    execute_run(run_id)
    assert during == [False]
    assert run_row(run_id).status == "succeeded"

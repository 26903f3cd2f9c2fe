"""Recovery without cron: the delayed watchdog job, and a re-delivered job finding its run abandoned."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend import jobs
from backend.actions.pipeline import execute_run
from backend.actions.watchdog import watch_run
from backend.db import transaction
from backend.models import ActionRun, Charge, utcnow
from tests.actions.conftest import audit_events, row, wait_status


@pytest.fixture
def abandoned(ctx, account, shop, mirror, act):
    """A run whose worker died right after Stripe made the refund (the refund carries the run id)."""
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    run_id = act("refund", row(Charge, external_id=charge_id).id, params={"amount": 600},
                 reason="duplicate").json["id"]
    shop.v1.refunds.create({"charge": charge_id, "amount": 600, "metadata": {"chargedesk_key": run_id}},
                           {"idempotency_key": run_id})
    with transaction() as s:
        s.execute(update(ActionRun).where(ActionRun.id == run_id).values(
            status="running", attempts=1, claimed_by="dead:1", claimed_at=utcnow() - timedelta(minutes=10)))
    return charge_id, run_id


def test_watchdog_job_completes_an_abandoned_run(account, shop, abandoned, rq_worker):
    charge_id, run_id = abandoned
    jobs.enqueue_in(watch_run, run_id, delay_seconds=1, job_id=f"watch-{run_id}")
    rq_worker()
    done = wait_status(run_id, "succeeded", timeout=30)
    assert done.result["summary"] == "Refunded $6.00 of $20.00"
    assert len(shop.refunds_of(charge_id)) == 1 and len(shop.posts("/v1/refunds")) == 1
    assert audit_events(account.id, run_id)[-1] == "action.recovered"


def test_a_redelivered_job_hands_its_abandoned_run_to_the_reaper(account, shop, abandoned):
    charge_id, run_id = abandoned
    execute_run(run_id)  # what RQ does when it re-runs the dead worker's job
    assert row(ActionRun, id=run_id).status == "succeeded"
    assert len(shop.refunds_of(charge_id)) == 1 and len(shop.posts("/v1/refunds")) == 1

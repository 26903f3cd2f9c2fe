"""Recover runs left `running` by a dead worker: ask the gateway first, then complete or retry.

Never pays twice: the reaper takes the claim over atomically, then `reconcile`s with the run id
(the idempotency key). Found -> the run succeeded (mirror upsert + audit "recovered"). Not found
-> back to queued (audit "recovered", decision "requeued"); the next attempt reconciles again
before calling the gateway, and keyed gateways replay rather than repeat.
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from .. import jobs
from ..db import session, transaction
from ..gateways import adapter_for
from ..integrations.gateways.errors import GatewayError
from ..models import ActionRun, GatewayConnection, utcnow
from .outcomes import finish_succeeded, load_run, mark_failed, release_for_retry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReapOutcome:
    run_id: str
    decision: str  # completed | requeued | failed | unreachable | skipped | resubmitted
    detail: str = ""

    def line(self) -> str:
        return f"{self.run_id}: {self.decision}" + (f" ({self.detail})" if self.detail else "")


def reaper_token() -> str:
    return f"reaper:{socket.gethostname()}:{os.getpid()}"[:128]


def reap_stale_runs(*, older_than: float) -> list[ReapOutcome]:
    """Every account's runs running (or queued without a job) for more than `older_than` seconds."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    running = list(session().scalars(select(ActionRun.id).where(
        ActionRun.status == "running", ActionRun.claimed_at <= cutoff).order_by(ActionRun.claimed_at)))
    outcomes = [recover_run(run_id, older_than=older_than) for run_id in running]
    lost = list(session().scalars(select(ActionRun).where(
        ActionRun.status == "queued", ActionRun.updated_at <= cutoff).order_by(ActionRun.updated_at)))
    return outcomes + [requeue_lost(run) for run in lost]


def _take_over(run_id: str, older_than: float) -> str | None:
    """The claim moves to this reaper, atomically, only if it is still stale."""
    token, cutoff = reaper_token(), utcnow() - timedelta(seconds=older_than)
    with transaction() as s:
        taken = s.execute(update(ActionRun).where(
            ActionRun.id == run_id, ActionRun.status == "running", ActionRun.claimed_at <= cutoff)
            .values(claimed_by=token, claimed_at=utcnow(), updated_at=utcnow()).returning(ActionRun.id)).first()
    return token if taken else None


def recover_run(run_id: str, *, older_than: float) -> ReapOutcome:
    from .pipeline import MAX_ATTEMPTS, reconciled_records

    token = _take_over(run_id, older_than)
    if token is None:
        return ReapOutcome(run_id, "skipped", "no longer stale")
    run = load_run(run_id)
    try:
        found = reconciled_records(adapter_for(session().get(GatewayConnection, run.connection_id)), run)
    except GatewayError as exc:
        return ReapOutcome(run_id, "unreachable", f"will try again later: {exc.message}")
    if found:
        finish_succeeded(run, token, found, step="recovered", decision="completed")
        return ReapOutcome(run_id, "completed", "the gateway had done it")
    if run.attempts >= MAX_ATTEMPTS:
        mark_failed(run, token, message=f"The worker stopped mid-call {run.attempts} times and the gateway "
                                        "shows no trace of the action; it was not retried again.",
                    code="abandoned", step="recovered", decision="failed")
        return ReapOutcome(run_id, "failed", "attempts exhausted")
    release_for_retry(run, token, message="The worker stopped mid-call; the gateway shows no trace, so it "
                                          "was queued again.", code="requeued", step="recovered",
                      decision="requeued")
    _resubmit(run_id)
    return ReapOutcome(run_id, "requeued", "no trace at the gateway")


def requeue_lost(run: ActionRun) -> ReapOutcome:
    """A queued run whose job vanished (Redis flushed, enqueue failed): queue it again."""
    from .intake import enqueue_run

    enqueue_run(run.id)
    with transaction() as s:
        s.execute(update(ActionRun).where(ActionRun.id == run.id, ActionRun.status == "queued")
                  .values(updated_at=utcnow()))
    return ReapOutcome(run.id, "resubmitted", "queued without progress")


def _resubmit(run_id: str) -> None:
    """The dead worker's job still looks started to RQ: drop it so the same id can be queued."""
    from .intake import enqueue_run

    try:
        jobs.forget_job(run_id)
    except Exception:  # noqa: BLE001 - the enqueue below dedupes anyway
        log.exception("could not drop the stale job of run %s", run_id)
    enqueue_run(run_id)

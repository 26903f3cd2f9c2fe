"""Moving a claimed run to its next state, each in one transaction with its audit entry.

Every transition is conditional on the claim (`status='running' AND claimed_by=token`): a worker
that lost its run to the reaper cannot overwrite what the reaper decided. The audit entry comes
last in each transaction (see backend.audit.chain.append).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import update

from ..db import session, transaction
from ..models import ActionRun, GatewayConnection, utcnow
from ..sync.upsert import upsert_records
from . import action_module
from .runs import SYSTEM_ACTOR, audit_run, records_json


def _transition(s, run: ActionRun, token: str, **values: Any) -> bool:
    """Apply `values` if we still hold the claim; `run` is refreshed from the returned row."""
    done = s.scalars(update(ActionRun).where(ActionRun.id == run.id, ActionRun.status == "running",
                                             ActionRun.claimed_by == token)
                     .values(updated_at=utcnow(), **values).returning(ActionRun),
                     execution_options={"populate_existing": True}).first()
    return done is not None


def needs_note(run: ActionRun) -> bool:
    source = run.source or {}
    return bool(source.get("host") and source.get("installation_id") and source.get("ticket_id"))


def finish_succeeded(run: ActionRun, token: str, records: list, *, step: str = "succeeded",
                     connection: GatewayConnection | None = None, **audit_details: Any) -> bool:
    """Mark the run succeeded, mirror what the gateway returned, audit it: one transaction."""
    summary = action_module(run.kind).describe(run, records)
    with transaction() as s:
        connection = connection or s.get(GatewayConnection, run.connection_id)
        # The target (and so its customer) is already mirrored: no orphan adoption, fewer statements.
        ids = upsert_records(s, connection, records, action_run_id=run.id, want_ids=False)
        after = records_json(records, ids)
        note = {"note": {"status": "pending", "attempts": 0}} if needs_note(run) else {}
        result = dict(run.result or {}, summary=summary, records=after, **note)
        if not _transition(s, run, token, status="succeeded", finished_at=utcnow(), error_code=None,
                           error_message=None, result=result):
            s.rollback()
            return False
        audit_run(s, run, step, actor=SYSTEM_ACTOR, summary=summary, after=after, **audit_details)
    return True


def mark_failed(run: ActionRun, token: str, *, message: str, code: str | None,
                step: str = "failed", **audit_details: Any) -> bool:
    """A final answer: the gateway said no, or we gave up. Nothing was (or will be) charged."""
    with transaction() as s:
        if not _transition(s, run, token, status="failed", error_code=(code or "failed")[:64],
                           error_message=message, finished_at=utcnow()):
            s.rollback()
            return False
        audit_run(s, run, step, actor=SYSTEM_ACTOR, error=message, error_code=code, **audit_details)
    return True


def release_for_retry(run: ActionRun, token: str, *, message: str, code: str | None,
                      step: str = "retry", **audit_details: Any) -> bool:
    """Back to queued (a job will claim it again); the error stays visible until then."""
    with transaction() as s:
        if not _transition(s, run, token, status="queued", error_code=(code or "retry")[:64],
                           error_message=message, claimed_by=None):
            s.rollback()
            return False
        audit_run(s, run, step, actor=SYSTEM_ACTOR, error=message, error_code=code, **audit_details)
    return True


def load_run(run_id: str) -> ActionRun | None:
    s = session()
    s.expire_all()
    return s.get(ActionRun, run_id)

"""Moving a claimed run to its next state, each in one transaction with its audit entry.

Every transition is conditional on the claim (`status='running' AND claimed_by=token`): a worker
that lost its run to the reaper cannot overwrite what the reaper decided. The audit entry comes
last in each transaction (see backend.audit.chain.append).
"""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from ..db import session, transaction
from ..models import ActionRun, GatewayConnection, utcnow
from ..sync.upsert import upsert_records
from . import action_module
from .runs import SYSTEM_ACTOR, audit_run, records_json


@functools.lru_cache(maxsize=32)
def _transition_statement(columns: tuple[str, ...]):
    """UPDATE .. SET columns WHERE we hold the claim, built once per set of columns."""
    table = ActionRun.__table__
    return (update(table).where(table.c.id == bindparam("t_run_id"), table.c.status == "running",
                                table.c.claimed_by == bindparam("t_token"))
            .values({name: bindparam(f"t_{name}") for name in columns}).returning(table.c.id))


def _transition(s, run: ActionRun, token: str, **values: Any) -> bool:
    """Apply `values` if we still hold the claim; then `run` carries them too (as committed)."""
    values["updated_at"] = utcnow()
    columns = tuple(sorted(values))
    params = {f"t_{name}": values[name] for name in columns}
    done = s.execute(_transition_statement(columns), {"t_run_id": run.id, "t_token": token, **params}).first()
    if done is None:
        return False
    for name, value in values.items():
        set_committed_value(run, name, value)
    return True


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

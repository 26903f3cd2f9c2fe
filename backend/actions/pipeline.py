"""Executing a run exactly once: claim it atomically, call the gateway keyed by the run id, record.

    queued --claim--> running --gateway ok--> succeeded (+ mirror upsert, audit, note job)
                              --retryable--> queued again (RQ retries with backoff) ... failed
                              --final error--> failed (the gateway's message)
                              --crash / unknown--> left running: the reaper reconciles it

A run claimed a second time (a retry, or after the reaper re-queued it) first asks the gateway
whether the earlier attempt took effect (`reconcile`), so a lost response never pays twice.
"""
from __future__ import annotations

import logging
import os
import socket

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import aliased

from ..db import transaction
from ..gateways import adapter_for
from ..integrations.gateways.errors import GatewayError
from ..integrations.gateways.records import ObjectKind
from ..jobs import RetryPolicy, job
from ..models import ActionRun, GatewayConnection, utcnow
from . import action_module, faults, notify, watchdog
from .outcomes import finish_succeeded, mark_failed, needs_note, release_for_retry
from .runs import SYSTEM_ACTOR, audit_run

log = logging.getLogger(__name__)
ACTION_RETRY = RetryPolicy(max_retries=4, intervals=(1, 3, 10, 30))
MAX_ATTEMPTS = ACTION_RETRY.max_retries + 1


class OutcomeUnknown(Exception):
    """The gateway call may have taken effect but we could not record it; the reaper decides."""


def claim_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def _claim_statements():
    """queued -> running for one caller, built once. On PostgreSQL the UPDATE .. RETURNING sits
    in a CTE joined to the run's gateway connection: one statement returns both."""
    table = ActionRun.__table__
    claim = (update(table).where(table.c.id == bindparam("claim_run_id"), table.c.status == "queued")
             .values(status="running", claimed_by=bindparam("claim_token"), claimed_at=bindparam("claim_now"),
                     updated_at=bindparam("claim_now"), attempts=table.c.attempts + 1)
             .returning(*table.c))
    claimed = claim.cte("claimed")
    run = aliased(ActionRun, claimed)
    with_connection = select(run, GatewayConnection).join(GatewayConnection,
                                                          GatewayConnection.id == run.connection_id)
    return select(ActionRun).from_statement(claim), with_connection


_CLAIM, _CLAIM_WITH_CONNECTION = _claim_statements()


def claim_run(run_id: str, token: str) -> ActionRun | None:
    """queued -> running for exactly one caller; None if someone else has it or it is done."""
    claimed = claim_with_connection(run_id, token)
    return claimed[0] if claimed else None


def claim_with_connection(run_id: str, token: str) -> tuple[ActionRun, GatewayConnection] | None:
    """claim_run, plus the run's gateway connection read in the same transaction, so that no
    transaction stays open (idle) while the gateway is called."""
    params = {"claim_run_id": run_id, "claim_token": token, "claim_now": utcnow()}
    fresh = {"populate_existing": True}  # the row as the UPDATE left it, even if already loaded
    with transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            claimed = s.execute(_CLAIM_WITH_CONNECTION, params, execution_options=fresh).first()
        else:  # SQLite (the demo) has no UPDATE inside WITH: two statements
            run = s.scalars(_CLAIM, params, execution_options=fresh).first()
            claimed = run and (run, s.get(GatewayConnection, run.connection_id))
        if not claimed:
            return None
        run, connection = claimed
        audit_run(s, run, "started", actor=SYSTEM_ACTOR, worker=token)
    return run, connection


@job
def execute_run(run_id: str) -> None:
    """RQ job (job id = run id): run one action at most once; see the module docstring."""
    token = claim_token()
    claimed = claim_with_connection(run_id, token)
    if claimed is None:
        watchdog.recover_if_abandoned(run_id)
        return
    run, connection = claimed
    watchdog.watch(run)
    try:
        adapter = adapter_for(connection)
    except Exception as exc:  # nothing reached the gateway: safe to try again
        _retry_or_fail(run, token, exc, message=getattr(exc, "message", None) or f"could not start: {exc}")
        return
    try:
        records = call_gateway(adapter, run)
    except GatewayError as exc:
        _retry_or_fail(run, token, exc, message=exc.message, adapter=adapter)
        return
    faults.crash_point("after_gateway")
    _record_success(run, token, records, connection)


def call_gateway(adapter, run: ActionRun) -> list:
    """Reconcile first when an earlier attempt may have reached the gateway, else perform."""
    if run.attempts > 1:
        found = reconciled_records(adapter, run)
        if found:
            return found
    return action_module(run.kind).perform(adapter, run)


def reconciled_records(adapter, run: ActionRun) -> list:
    """What an earlier attempt left at the gateway (plus the target's fresh state), or []."""
    module = action_module(run.kind)
    found = adapter.reconcile(operation=module.OPERATION, target_id=run.target_external_id,
                              idempotency_key=run.id)
    if found is None:
        return []
    records = [found]
    try:
        fresh = adapter.fetch(ObjectKind(run.target_type), run.target_external_id)
        records += [fresh] if fresh != found else []
    except GatewayError:
        pass  # the mirror catches up with the next sync or webhook
    return records


def _record_success(run: ActionRun, token: str, records: list, connection: GatewayConnection) -> None:
    try:
        recorded = finish_succeeded(run, token, records, connection=connection)
    except Exception as exc:  # the money moved but we could not write it down: the reaper will
        raise OutcomeUnknown(f"run {run.id}: gateway succeeded, recording failed: {exc}") from exc
    if recorded and needs_note(run):
        notify.queue_note(run.id)


def _retry_or_fail(run: ActionRun, token: str, exc: Exception, *, message: str, adapter=None) -> None:
    """Retryable and attempts left: back to queued and re-raise (RQ backs off). Else a final answer."""
    code = getattr(exc, "code", None) or type(exc).__name__
    retryable = getattr(exc, "retryable", not isinstance(exc, GatewayError))
    if retryable and run.attempts < MAX_ATTEMPTS:
        delay = ACTION_RETRY.intervals[min(run.attempts - 1, len(ACTION_RETRY.intervals) - 1)]
        if release_for_retry(run, token, message=message, code=code, retry_in_seconds=delay):
            raise exc
        return
    if retryable and adapter is not None and _completed_after_all(adapter, run, token):
        return
    suffix = f" (gave up after {run.attempts} attempts)" if retryable else ""
    mark_failed(run, token, message=message + suffix, code=code)


def _completed_after_all(adapter, run: ActionRun, token: str) -> bool:
    """Before giving up on a timeout/5xx: did one of the attempts take effect after all?"""
    try:
        found = reconciled_records(adapter, run)
    except GatewayError:
        return False
    return bool(found) and finish_succeeded(run, token, found, reconciled=True)

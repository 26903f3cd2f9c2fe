"""After a success: a private note on the helpdesk ticket the action came from.

Its own job with its own retries: a helpdesk outage never touches the money action, and the
note's state is kept on the run (result["note"]: pending -> posted | retrying | failed).
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from .. import jobs
from ..db import session, transaction
from ..integrations.helpdesks import HelpdeskError, post_private_note
from ..jobs import RetryPolicy, job
from ..models import ActionRun, HelpdeskInstallation, User

log = logging.getLogger(__name__)
NOTE_RETRY = RetryPolicy(max_retries=3, intervals=(5, 30, 120))
MAX_NOTE_ATTEMPTS = NOTE_RETRY.max_retries + 1


def queue_note(run_id: str) -> None:
    try:
        jobs.enqueue(post_run_note, run_id, job_id=f"note-{run_id}", retry=NOTE_RETRY)
    except Exception:  # noqa: BLE001 - the refund is done; a missing note is only a missing note
        log.exception("could not queue the ticket note of run %s", run_id)


def note_body(run: ActionRun, agent_name: str | None) -> str:
    """'Refunded $5.00 of $20.00 — requested_by_customer: asked twice — by Ann Agent'."""
    parts = [(run.result or {}).get("summary") or f"{run.kind} done"]
    reason = ": ".join(p for p in (run.reason_code, run.reason_text) if p)
    if reason:
        parts.append(reason)
    parts.append(f"by {agent_name or 'ChargeDesk'}")
    return " — ".join(parts)


def _agent_name(run: ActionRun) -> str | None:
    if run.requested_by_user_id:
        user = session().get(User, run.requested_by_user_id)
        if user is not None:
            return user.name or user.email
    return (run.principal or {}).get("name")


@job
def post_run_note(run_id: str) -> None:
    """Job: post the note once; record posted/retrying/failed on the run; re-raise to retry.

    The run id is the note's idempotency key: a retry after a post whose answer was lost (or
    whose "posted" was never recorded) finds the note on the ticket and posts nothing."""
    run = session().get(ActionRun, run_id)
    if run is None or run.status != "succeeded":
        return
    note = dict((run.result or {}).get("note") or {})
    if note.get("status") == "posted":
        return
    attempt = int(note.get("attempts", 0)) + 1
    try:
        installation = session().get(HelpdeskInstallation, run.source["installation_id"])
        post_private_note(installation.kind, installation_id=installation.id,
                          ticket_id=str(run.source["ticket_id"]), body=note_body(run, _agent_name(run)),
                          idempotency_key=run.id)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, then retried by RQ
        # A HelpdeskError that is not retryable (revoked grant, missing ticket) will not get better.
        hopeless = isinstance(exc, HelpdeskError) and not exc.retryable
        final = hopeless or attempt >= MAX_NOTE_ATTEMPTS
        _record(run_id, {"status": "failed" if final else "retrying", "attempts": attempt,
                         "error": str(getattr(exc, "message", None) or exc)[:500]})
        if not final:
            raise
        return
    _record(run_id, {"status": "posted", "attempts": attempt})


def _record(run_id: str, note: dict) -> None:
    """Only result["note"] changes, under a row lock, so the money fields are never touched."""
    with transaction() as s:
        run = s.scalars(select(ActionRun).where(ActionRun.id == run_id).with_for_update()).one()
        run.result = dict(run.result or {}, note=note)

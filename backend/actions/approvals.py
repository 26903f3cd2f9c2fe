"""Approving or rejecting a refund that went above its requester's limit (owners and admins)."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..auth.host_keys import approval_refusal
from ..auth.principal import Principal
from ..models import ActionRun, utcnow
from .base import ActionRejected
from .intake import enqueue_run
from .permissions import check_can_approve
from .runs import audit_run


def decide(session: Session, principal: Principal, run_id: str, *, approve: bool, note: str | None) -> ActionRun:
    """pending_approval -> queued (and enqueued) or rejected; 409 if it is not pending any more."""
    check_can_approve(principal)
    run = session.get(ActionRun, run_id)
    if run is None or run.account_id != principal.account_id:
        raise ActionRejected(404, f"No action {run_id} in this account.")
    if principal.user_id is not None and principal.user_id == run.requested_by_user_id:
        raise ActionRejected(403, "You cannot approve or reject your own request; ask another owner or admin.")
    refusal = approval_refusal(principal.host_key, requester_user_id=run.requested_by_user_id) if approve else None
    if refusal:
        raise ActionRejected(403, refusal)
    values = {"status": "queued"} if approve else {"status": "rejected", "finished_at": utcnow()}
    changed = session.scalars(update(ActionRun).where(ActionRun.id == run.id,
                                                      ActionRun.status == "pending_approval")
                              .values(decided_by_user_id=principal.user_id, decision_note=note,
                                      updated_at=utcnow(), **values).returning(ActionRun),
                              execution_options={"populate_existing": True}).first()
    if changed is None:
        session.rollback()
        raise ActionRejected(409, f"This action is {run.status}, not waiting for approval.")
    key = {"session_host_key_version": principal.host_key.version} if principal.host_key else {}
    audit_run(session, run, "approved" if approve else "rejected", actor=principal.audit_actor(),
              decision_note=note, **key)
    session.commit()
    if approve:
        enqueue_run(run.id)
    return run

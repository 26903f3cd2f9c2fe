"""Audit entries for identity and settings changes made by the Zendesk integration and admin UI."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend.audit import append
from backend.models import Account, AuditEntry

log = logging.getLogger(__name__)


def record_event(session: Session, *, account_id: int, event: str, actor: dict[str, Any],
                 subject_type: str, subject_id: Any, details: dict[str, Any] | None = None,
                 reason: str | None = None, source: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry to the account's chain, inside the caller's transaction."""
    return append(session, account_id=account_id, event=event, actor=actor, reason=reason,
                  subject_type=subject_type, subject_id=str(subject_id), details=details or {},
                  source=source or {})


def record_event_if_free(session: Session, **entry: Any) -> bool:
    """For side transactions: append only if the account's chain is not locked by another
    transaction (possibly our own caller's, which would otherwise deadlock); False if skipped."""
    try:
        with session.begin_nested():
            session.execute(select(Account.id).where(Account.id == entry["account_id"])
                            .with_for_update(nowait=True))
    except OperationalError:
        log.warning("audit chain of account %s is busy; not recorded: %s", entry["account_id"], entry["event"])
        return False
    record_event(session, **entry)
    return True

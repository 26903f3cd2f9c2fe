"""How the shared upsert path asks for documents: noted in its transaction, queued after commit.

upsert_records() calls note_money_events() with the charge and refund records it wrote. Succeeded
ones made since the gateway was connected, without a document yet, are remembered on the session
and queued as jobs only once the transaction commits (a job never looks for rows that are not
committed yet; a rollback forgets them). Backfilled history is older than the connection, so a
first import issues nothing.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Iterable

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..models import Document, GatewayConnection
from .issue import CREDIT_NOTE, RECEIPT, is_live, source_key

log = logging.getLogger(__name__)
_PENDING = "chargedesk.documents.pending"


def note_money_events(session: Session, connection: GatewayConnection, charges: Iterable, refunds: Iterable) -> None:
    """Remember succeeded, live charges/refunds that have no document; queued after commit."""
    wanted = [(RECEIPT, r.external_id) for r in charges if _eligible(r, connection)]
    wanted += [(CREDIT_NOTE, r.external_id) for r in refunds if _eligible(r, connection)]
    if not wanted:
        return
    sources = {source_key(connection.id, external_id) for _kind, external_id in wanted}
    have = set(session.execute(select(Document.kind, Document.source).where(
        Document.account_id == connection.account_id, Document.source.in_(sources))).all())
    missing = [(kind, connection.id, ext) for kind, ext in wanted if (kind, source_key(connection.id, ext)) not in have]
    if missing:
        _pending(session).update(missing)


def _eligible(record, connection: GatewayConnection) -> bool:
    return str(record.status) == "succeeded" and is_live(record.created_at, connection)


def _pending(session: Session) -> set:
    if _PENDING not in session.info:
        session.info[_PENDING] = set()
        event.listen(session, "after_commit", _enqueue_pending)
        event.listen(session, "after_rollback", _forget_pending)
    return session.info[_PENDING]


def _forget_pending(session: Session) -> None:
    session.info.get(_PENDING, set()).clear()


def _enqueue_pending(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    events = sorted(pending)
    pending.clear()
    if not has_app_context():
        log.warning("documents for %d money events not queued: no app context", len(events))
        return
    from .. import jobs
    from .tasks import issue_document

    for key in events:
        try:
            jobs.enqueue(issue_document, list(key), job_id=issue_job_id(*key))
        except Exception:  # noqa: BLE001 - the caller's data is committed; the next upsert queues it again
            log.exception("could not queue the %s of %s %s", *key)


def issue_job_id(kind: str, connection_id: int, external_id: str) -> str:
    """Stable per money event, so the same event queued twice is one job."""
    digest = hashlib.sha1(external_id.encode()).hexdigest()[:20]
    return f"documents-issue-{kind}-{connection_id}-{digest}"

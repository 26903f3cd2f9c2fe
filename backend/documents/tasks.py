"""Jobs: issue a document for a money event, render it, send it. Each is safe to run twice."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from .. import jobs
from ..db import session
from ..models import Account, Charge, Document, GatewayConnection, Refund
from .issue import CREDIT_NOTE, RECEIPT, DocumentError, issue_credit_note, issue_receipt, is_live

log = logging.getLogger(__name__)
MODEL = {RECEIPT: Charge, CREDIT_NOTE: Refund}
CUSTOMER_WAIT = timedelta(seconds=60)


def documents_settings(account: Account) -> dict:
    return (account.settings or {}).get("documents") or {}


@jobs.job
def issue_document(key) -> int | None:
    """(kind, connection id, external id) -> the document's id; raises to be retried when out of order."""
    kind, connection_id, external_id = key
    s = session()
    connection = s.get(GatewayConnection, connection_id)
    if connection is None:
        return None
    model = MODEL[kind]
    row = s.scalars(select(model).where(model.connection_id == connection_id,
                                        model.external_id == external_id)).one_or_none()
    if row is None:
        raise DocumentError(f"{kind} for {external_id}: not in the mirror yet", retryable=True)
    account = s.get(Account, connection.account_id)
    if documents_settings(account).get("auto_issue") is False or not is_live(row.gateway_created_at, connection):
        return None
    if row.status != "succeeded":
        return None  # a later event may still make it succeed; that event queues it again
    if kind == RECEIPT and _customer_pending(row):
        raise DocumentError(f"charge {external_id}: its customer is not mirrored yet", retryable=True)
    issued = (issue_receipt if kind == RECEIPT else issue_credit_note)(s, row, auto_send=True)
    after_issue(issued.document.id)
    if kind == RECEIPT:
        _queue_waiting_refunds(row, connection)
    return issued.document.id


def _queue_waiting_refunds(charge: Charge, connection: GatewayConnection) -> None:
    """Refunds that arrived before their charge gave up waiting; the charge's receipt picks them up."""
    from .hooks import issue_job_id
    from .issue import source_key

    s = session()
    noted = select(Document.source).where(Document.account_id == charge.account_id, Document.kind == CREDIT_NOTE)
    refunds = s.scalars(select(Refund).where(Refund.charge_id == charge.id, Refund.status == "succeeded")).all()
    have = set(s.scalars(noted.where(Document.source.in_([source_key(r.connection_id, r.external_id)
                                                            for r in refunds])))) if refunds else set()
    for refund in refunds:
        if source_key(refund.connection_id, refund.external_id) not in have and is_live(refund.gateway_created_at,
                                                                                           connection):
            key = (CREDIT_NOTE, refund.connection_id, refund.external_id)
            jobs.enqueue(issue_document, list(key), job_id=issue_job_id(*key))


def _customer_pending(charge: Charge) -> bool:
    """A fresh charge whose customer event has not arrived: wait a little (the job is retried)
    rather than issue a receipt without buyer and email. After a minute, issue without."""
    if charge.customer_id is not None or not charge.customer_external_id or charge.gateway_created_at is None:
        return False
    created = charge.gateway_created_at
    created = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc) - created < CUSTOMER_WAIT


def after_issue(document_id: int) -> None:
    """Render now (the number is already committed), then queue the email if the account wants it."""
    from .delivery import queue_send
    from .store import ensure_pdf

    doc = ensure_pdf(document_id)
    if doc is not None and doc.auto_send and doc.send_status == "unsent":
        queue_send(doc)

"""Issue documents: the number is taken in the transaction that stores the document.

Exactly one document per money event: (account, kind, source) is unique, so of two workers
racing on the same charge one commits and the other rolls back, giving its number back with
the rest of its transaction (numbers stay gapless).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Account, Charge, Customer, Document, GatewayConnection, Refund, utcnow
from . import content as c
from .numbering import display_number, number_format, take_number

RECEIPT, CREDIT_NOTE = "receipt", "credit_note"


class DocumentError(Exception):
    """A document cannot be issued (yet): `retryable` when waiting may fix it (out-of-order events)."""

    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Issued:
    document: Document
    created: bool


def source_key(connection_id: int, external_id: str) -> str:
    return f"{connection_id}:{external_id}"


def find_document(session: Session, account_id: int, kind: str, source: str) -> Document | None:
    return session.scalars(select(Document).where(
        Document.account_id == account_id, Document.kind == kind, Document.source == source)).one_or_none()


def is_live(created_at: datetime | None, connection: GatewayConnection) -> bool:
    """A payment made since the gateway was connected (older ones are history: documents on request)."""
    if created_at is None:
        return True
    connected = _aware(connection.created_at).replace(microsecond=0)
    return _aware(created_at) >= connected


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def issue_receipt(session: Session, charge: Charge, *, auto_send: bool) -> Issued:
    """The receipt of a succeeded charge; commits. Returns the existing one if it was issued before."""
    if charge.status != "succeeded":
        raise DocumentError(f"charge {charge.external_id} has not succeeded (status {charge.status})")
    source = source_key(charge.connection_id, charge.external_id)
    existing = find_document(session, charge.account_id, RECEIPT, source)
    if existing is not None:
        return Issued(existing, False)
    account = session.get(Account, charge.account_id)
    customer = session.get(Customer, charge.customer_id) if charge.customer_id else None
    body = c.receipt_content(session, account, charge, customer)
    doc = Document(account_id=account.id, kind=RECEIPT, source=source, customer_id=charge.customer_id,
                   charge_id=charge.id, currency=charge.currency, total_minor=body["total_minor"],
                   locale=c.document_locale(customer, account), auto_send=auto_send)
    return _store(session, account, doc, body)


def issue_credit_note(session: Session, refund: Refund, *, auto_send: bool) -> Issued:
    """The credit note of a succeeded refund, referencing the charge's receipt (issued first if missing)."""
    if refund.status != "succeeded":
        raise DocumentError(f"refund {refund.external_id} has not succeeded (status {refund.status})")
    charge = session.get(Charge, refund.charge_id) if refund.charge_id else None
    if charge is None:
        raise DocumentError(f"refund {refund.external_id}: its charge is not in the mirror yet", retryable=True)
    source = source_key(refund.connection_id, refund.external_id)
    existing = find_document(session, refund.account_id, CREDIT_NOTE, source)
    if existing is not None:
        return Issued(existing, False)
    connection = session.get(GatewayConnection, charge.connection_id)
    receipt = issue_receipt(session, charge, auto_send=auto_send and is_live(charge.gateway_created_at, connection))
    account = session.get(Account, refund.account_id)
    customer = session.get(Customer, charge.customer_id) if charge.customer_id else None
    body = c.credit_note_content(session, account, refund, charge, customer, receipt.document.content,
                                 receipt.document.display_number)
    doc = Document(account_id=account.id, kind=CREDIT_NOTE, source=source, customer_id=charge.customer_id,
                   charge_id=charge.id, refund_id=refund.id, reverses_document_id=receipt.document.id,
                   currency=refund.currency, total_minor=body["total_minor"],
                   locale=receipt.document.locale, auto_send=auto_send)
    return _store(session, account, doc, body)


def _store(session: Session, account: Account, doc: Document, body: dict) -> Issued:
    """Number + row in one transaction; a lost race rolls both back and returns the winner's row."""
    fmt = number_format(account.settings, doc.kind)
    now = utcnow()
    try:
        seq = take_number(session, account_id=account.id, series=doc.kind)
        doc.number, doc.created_at = seq, now
        doc.display_number = display_number(fmt, seq=seq, when=now)
        doc.content = dict(body, kind=doc.kind, number=doc.display_number, issued_at=now.isoformat())
        session.add(doc)
        session.commit()
    except IntegrityError:
        session.rollback()
        winner = find_document(session, doc.account_id, doc.kind, doc.source)
        if winner is None:
            raise
        return Issued(winner, False)
    return Issued(doc, True)

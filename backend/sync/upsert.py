"""Write gateway records into the mirror: one set of functions for sync, webhooks and actions.

Each kind is written in bulk with INSERT .. ON CONFLICT (connection_id, external_id) DO UPDATE,
so a page of 100 objects is one statement, replays are harmless and order does not matter.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..db import upsert_insert
from ..documents.hooks import note_money_events
from ..emails import normalize_email
from ..integrations.gateways.records import (
    BillingRecord, ChargeRecord, CustomerRecord, DisputeRecord, InvoiceRecord, ObjectKind,
    RefundRecord, SubscriptionRecord, TaxIdRecord,
)
from ..models import (
    Charge, Customer, CustomerEmail, Dispute, GatewayConnection, Invoice, InvoiceLine,
    InvoiceTaxLine, Refund, Subscription, TaxId, utcnow,
)
from . import bulk_pg, rows

MODEL_OF = {
    CustomerRecord: Customer, ChargeRecord: Charge, RefundRecord: Refund,
    SubscriptionRecord: Subscription, InvoiceRecord: Invoice, TaxIdRecord: TaxId, DisputeRecord: Dispute,
}
KIND_MODEL = {
    ObjectKind.CUSTOMER: Customer, ObjectKind.CHARGE: Charge, ObjectKind.REFUND: Refund,
    ObjectKind.SUBSCRIPTION: Subscription, ObjectKind.INVOICE: Invoice, ObjectKind.TAX_ID: TaxId,
    ObjectKind.DISPUTE: Dispute,
}
# Customers first so that everything else can point at them; charges before refunds/disputes.
ORDER = (CustomerRecord, ChargeRecord, RefundRecord, DisputeRecord, SubscriptionRecord, InvoiceRecord, TaxIdRecord)
_NEVER_OVERWRITE = {"id", "account_id", "connection_id", "external_id", "action_run_id"}
_IDS_NEEDED = (Customer, Invoice)  # their emails and lines are written by our id
# The bulk path: columns that hold one value per page (see rows._base), and references it
# resolves inside its INSERT.
_PAGE_SHARED = ("account_id", "connection_id", "synced_at")
_LINKS = (bulk_pg.Link("customer_id", Customer.__table__, "customer_external_id"),
          bulk_pg.Link("charge_id", Charge.__table__, "charge_external_id"))


def upsert_records(session: Session, connection: GatewayConnection, records: Iterable[BillingRecord], *,
                   action_run_id: str | None = None, want_ids: bool = True) -> dict[str, dict[str, int]]:
    """Upsert records of any kinds; returns {model table: {external_id: our id}}.

    want_ids=False (the backfill) skips RETURNING where nothing needs the ids (one unnest()
    INSERT per page on PostgreSQL) and leaves linking orphans to adopt_orphans(), which the
    backfill calls once per kind instead of once per page.
    """
    by_type: dict[type, list] = defaultdict(list)
    for record in records:
        by_type[type(record)].append(record)
    written: dict[str, dict[str, int]] = {}
    for record_type in ORDER:
        batch = _dedupe(by_type.get(record_type, ()))
        if batch:
            model = MODEL_OF[record_type]
            written[model.__tablename__] = _upsert_batch(session, connection, model, batch, action_run_id,
                                                         returning=want_ids or model in _IDS_NEEDED,
                                                         adopt=want_ids)
    note_money_events(session, connection, by_type.get(ChargeRecord, ()), by_type.get(RefundRecord, ()))
    return written


def _dedupe(batch: Sequence) -> list:
    """Keep the last version of each object in a batch (ON CONFLICT cannot touch a row twice)."""
    return list({r.external_id: r for r in batch}.values())


def _upsert_batch(session, connection, model, batch, action_run_id, *, returning: bool,
                  adopt: bool) -> dict[str, int]:
    if not returning and session.get_bind().dialect.name == "postgresql":
        _bulk_upsert(session, connection, model, batch, action_run_id)
        ids = {}
    else:
        refs = _references(session, connection, batch)
        values = [rows.row_for(record, connection, refs, action_run_id) for record in batch]
        ids = _insert_or_update(session, model, values, returning)
    if model is Customer:
        _replace_emails(session, connection.account_id, batch, ids)
    elif model is Invoice:
        _replace_invoice_lines(session, connection.account_id, batch, ids)
    if adopt and model in (Customer, Charge):
        adopt_orphans(session, connection)
    return ids


def adopt_orphans(session: Session, connection: GatewayConnection) -> None:
    """Point objects that arrived before their customer or charge at it."""
    _adopt_orphans(session, connection)
    _adopt_orphan_refunds(session, connection)


def _bulk_upsert(session: Session, connection: GatewayConnection, model, batch, action_run_id) -> None:
    """PostgreSQL, no ids wanted: one statement per page that also finds the referenced rows."""
    values = [rows.row_for(record, connection, rows.UNRESOLVED, action_run_id) for record in batch]
    shared = {c: values[0][c] for c in _PAGE_SHARED}
    links = tuple(link for link in _LINKS if link.column in values[0])
    bulk_pg.upsert_page(session, model.__table__, values, shared=shared, links=links,
                        never_overwrite=_NEVER_OVERWRITE)


def _insert_or_update(session: Session, model, values: list[dict], returning: bool) -> dict[str, int]:
    """One cached statement run as an executemany (multi-row batches when RETURNING is needed)."""
    table = model.__table__
    stmt = upsert_insert(session)(table)
    columns = set(values[0])
    updates = {c: stmt.excluded[c] for c in columns if c not in _NEVER_OVERWRITE}
    if "action_run_id" in columns:  # keep the link to our action once known
        updates["action_run_id"] = func.coalesce(table.c.action_run_id, stmt.excluded.action_run_id)
    stmt = stmt.on_conflict_do_update(index_elements=["connection_id", "external_id"], set_=updates)
    if not returning:
        session.execute(stmt, values)
        return {}
    result = session.execute(stmt.returning(table.c.external_id, table.c.id), values)
    return {external_id: row_id for external_id, row_id in result}


def _references(session, connection, batch) -> dict[str, dict[str, int]]:
    """Our ids of the customers and charges this batch points at, in two queries at most."""
    refs: dict[str, dict[str, int]] = {"customer": {}, "charge": {}}
    customer_ids = {getattr(r, "customer_external_id", None) for r in batch} - {None}
    charge_ids = {getattr(r, "charge_external_id", None) for r in batch} - {None}
    for key, model, wanted in (("customer", Customer, customer_ids), ("charge", Charge, charge_ids)):
        if wanted:
            found = session.execute(select(model.external_id, model.id).where(
                model.connection_id == connection.id, model.external_id.in_(wanted)))
            refs[key] = dict(found.all())
    return refs


def _replace_emails(session, account_id: int, batch: Sequence[CustomerRecord], ids: dict[str, int]) -> None:
    session.execute(delete(CustomerEmail).where(CustomerEmail.customer_id.in_(ids.values())))
    values = []
    for record in batch:
        emails = {normalize_email(e) for e in (record.email, *record.emails)} - {None}
        values += [{"account_id": account_id, "customer_id": ids[record.external_id], "email": e} for e in emails]
    if values:
        session.execute(upsert_insert(session)(CustomerEmail).values(values).on_conflict_do_nothing())


def _adopt_orphans(session, connection) -> None:
    """Objects that arrived before their customer now point at it (partial indexes keep it cheap)."""
    for model in (Charge, Subscription, Invoice, TaxId):
        session.execute(update(model).where(
            model.connection_id == connection.id, model.customer_id.is_(None),
            model.customer_external_id.is_not(None),
            Customer.connection_id == connection.id, Customer.external_id == model.customer_external_id,
        ).values(customer_id=Customer.id))


def _adopt_orphan_refunds(session, connection) -> None:
    for model in (Refund, Dispute):
        session.execute(update(model).where(
            model.connection_id == connection.id, model.charge_id.is_(None),
            model.charge_external_id.is_not(None),
            Charge.connection_id == connection.id, Charge.external_id == model.charge_external_id,
        ).values(charge_id=Charge.id))


def _replace_invoice_lines(session, account_id: int, batch: Sequence[InvoiceRecord], ids: dict[str, int]) -> None:
    session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(ids.values())))
    session.execute(delete(InvoiceTaxLine).where(InvoiceTaxLine.invoice_id.in_(ids.values())))
    lines, taxes = [], []
    for record in batch:
        invoice_id = ids[record.external_id]
        lines += [rows.invoice_line_row(account_id, invoice_id, i, line) for i, line in enumerate(record.lines)]
        taxes += [rows.tax_line_row(account_id, invoice_id, tax) for tax in record.tax_lines]
    if lines:
        session.execute(upsert_insert(session)(InvoiceLine).values(lines))
    if taxes:
        session.execute(upsert_insert(session)(InvoiceTaxLine).values(taxes))


def mark_deleted(session: Session, connection: GatewayConnection, kind: ObjectKind, external_id: str) -> None:
    """A customer or tax id removed at the gateway: keep history, flag it."""
    model = KIND_MODEL[kind]
    if hasattr(model, "deleted_at"):
        session.execute(update(model).where(model.connection_id == connection.id,
                                            model.external_id == external_id).values(deleted_at=utcnow()))

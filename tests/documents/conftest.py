"""Documents fixtures: an account with seller details, a connection made in the past, and
helpers that write charges and refunds through the shared upsert path (as sync and webhooks do)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from backend.db import session, transaction
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, InvoiceLineRecord, InvoiceRecord, InvoiceStatus, RefundRecord,
    RefundStatus, TaxIdRecord, TaxLineRecord,
)
from backend.models import Account, Document, GatewayConnection
from backend.sync.upsert import upsert_records

CONNECTED_AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
LIVE = CONNECTED_AT + timedelta(days=30)
HISTORY = CONNECTED_AT - timedelta(days=30)


@pytest.fixture
def seller(account):
    with transaction() as s:
        acct = s.get(Account, account.id)
        acct.seller_legal_name, acct.seller_address = "Acme Software GmbH", "Hauptstraße 1\n10115 Berlin"
        acct.seller_tax_id, acct.support_email = "DE136695976", "support@acme.test"
        acct.branding = {"color": "#aa3300", "footer": "Acme Software GmbH · HRB 12345"}
    return acct


@pytest.fixture
def connection(seller):
    with transaction() as s:
        conn = GatewayConnection(account_id=seller.id, kind="stripe", name="Stripe", credentials={"api_key": "sk"},
                                 created_at=CONNECTED_AT)
        s.add(conn)
    return conn


def customer(external_id="cus_1", *, email="jean@example.fr", name="Jean Dupont", locale=None, address=None):
    meta = {k: v for k, v in (("locale", locale), ("address", address)) if v}
    return CustomerRecord(external_id=external_id, email=email, name=name, metadata=meta, created_at=HISTORY)


def charge(external_id, amount=12000, *, currency="eur", customer_id="cus_1", when=LIVE, status=ChargeStatus.SUCCEEDED,
           invoice=None, description="Pro plan"):
    return ChargeRecord(external_id=external_id, customer_external_id=customer_id, amount=amount, currency=currency,
                        status=status, raw_status=str(status), amount_captured=amount if status == "succeeded" else 0,
                        card_brand="visa", card_last4="4242", description=description, invoice_external_id=invoice,
                        created_at=when)


def refund(external_id, charge_id, amount, *, currency="eur", when=LIVE + timedelta(days=1),
           status=RefundStatus.SUCCEEDED):
    return RefundRecord(external_id=external_id, charge_external_id=charge_id, amount=amount, currency=currency,
                        status=status, raw_status=str(status), reason="requested_by_customer", created_at=when)


def invoice(external_id, charge_id, *, lines, taxes, number="INV-0042", currency="eur"):
    subtotal = sum(amount for _d, amount in lines)
    tax = sum(t.amount for t in taxes)
    return InvoiceRecord(external_id=external_id, customer_external_id="cus_1", status=InvoiceStatus.PAID,
                         raw_status="paid", currency=currency, number=number, subtotal=subtotal, tax=tax,
                         total=subtotal + tax, amount_paid=subtotal + tax, charge_external_id=charge_id,
                         lines=tuple(InvoiceLineRecord(d, a) for d, a in lines), tax_lines=tuple(taxes),
                         created_at=LIVE)


def vat(rate: str, amount: int, *, reverse=False) -> TaxLineRecord:
    return TaxLineRecord(name="VAT", rate_percent=rate, amount=amount, reverse_charge=reverse)


def tax_id(external_id, value, type_="eu_vat", customer_id="cus_1"):
    return TaxIdRecord(external_id=external_id, customer_external_id=customer_id, type=type_, value=value)


def write(connection, *records, want_ids=True) -> None:
    """Upsert and commit, as a webhook drain (want_ids=True) or a backfill page (False) does."""
    s = session()
    conn = s.get(GatewayConnection, connection.id)
    upsert_records(s, conn, records, want_ids=want_ids)
    s.commit()


def documents(kind=None) -> list[Document]:
    s = session()
    s.expire_all()
    stmt = select(Document).order_by(Document.kind, Document.number)
    if kind:
        stmt = stmt.where(Document.kind == kind)
    return list(s.scalars(stmt))

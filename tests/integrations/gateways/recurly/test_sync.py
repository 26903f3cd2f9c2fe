"""Backfill listings: every syncable kind, paging over several pages, resuming from a cursor."""
from __future__ import annotations

import pytest

from backend.integrations.gateways import build_adapter
from backend.integrations.gateways.errors import GatewayNotFound
from backend.integrations.gateways.records import (ChargeRecord, CustomerRecord, ObjectKind,
                                                   RefundRecord, TaxIdRecord)


def _walk(adapter, kind, *, limit, cursor=None, max_pages=50):
    pages, seen = 0, []
    while True:
        page = adapter.list_page(kind, cursor=cursor, limit=limit)
        seen.extend(page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None or pages >= max_pages:
            return seen, pages


def test_charges_page_and_resume_from_a_saved_cursor_without_duplicates(config, sandbox):
    sandbox.add_account("bulk")
    made = [sandbox.add_purchase("bulk", f"{n}.00", "USD")["transactions"][0]["id"]
            for n in range(1, 12)]
    first = build_adapter("recurly", config)

    page_one = first.list_page(ObjectKind.CHARGE, cursor=None, limit=4)
    page_two = first.list_page(ObjectKind.CHARGE, cursor=page_one.next_cursor, limit=4)
    saved = page_two.next_cursor
    assert saved is not None and saved.startswith("/transactions?")

    restarted = build_adapter("recurly", config)  # a new worker after a crash
    rest, pages = _walk(restarted, ObjectKind.CHARGE, limit=4, cursor=saved)

    ids = [c.external_id for c in (*page_one.items, *page_two.items, *rest)]
    assert ids == made  # oldest first, each exactly once
    assert pages == 1 and len(rest) == 3
    assert all(isinstance(c, ChargeRecord) for c in rest)
    assert [c.amount for c in rest] == [900, 1000, 1100]


def test_each_syncable_kind_lists_its_records(adapter, sandbox, make_account, make_payment):
    make_account("vera", country="FR", vat_number="FR12345678901")
    charge = make_payment(50.0, account_code="vera")
    adapter.refund(charge_id=charge.id, amount=1500, currency="USD", reason=None, note=None,
                   idempotency_key="sync-refund")
    adapter.create_subscription(customer_id="code-vera", price_id="basic", quantity=1,
                                trial_days=None, coupon=None, idempotency_key="sync-sub")
    listed = {kind: _walk(adapter, kind, limit=200)[0] for kind in adapter.syncable_kinds}

    assert [c.email for c in listed[ObjectKind.CUSTOMER]] == ["vera@example.com"]
    assert isinstance(listed[ObjectKind.CUSTOMER][0], CustomerRecord)
    charges = listed[ObjectKind.CHARGE]
    assert sorted(c.amount for c in charges) == [1000, 5000]
    refunded = next(c for c in charges if c.external_id == charge.id)
    assert refunded.amount_refunded == 1500
    refunds = listed[ObjectKind.REFUND]
    assert [(r.amount, r.charge_external_id) for r in refunds] == [(1500, charge.id)]
    assert isinstance(refunds[0], RefundRecord)
    assert [s.price_external_id for s in listed[ObjectKind.SUBSCRIPTION]] == ["basic"]
    invoices = listed[ObjectKind.INVOICE]
    assert sorted(i.total for i in invoices) == [-1500, 1000, 5000]  # VAT reverse-charged
    assert all(line.amount for i in invoices for line in i.lines)
    tax_ids = listed[ObjectKind.TAX_ID]
    assert [(t.type, t.value) for t in tax_ids] == [("eu_vat", "FR12345678901")]
    assert isinstance(tax_ids[0], TaxIdRecord)


def test_invoice_lines_and_tax_are_mapped(adapter, make_account, sdk):
    make_account("gb", country="GB")
    purchase = sdk.create_purchase({"currency": "GBP", "account": {"code": "gb"}, "line_items": [
        {"unit_amount": 12.5, "quantity": 3, "description": "Seats", "currency": "GBP"}]})
    invoice = adapter.fetch(ObjectKind.INVOICE, purchase.charge_invoice.id)
    assert [(l.description, l.quantity, l.amount) for l in invoice.lines] == [("Seats", 3, 3750)]
    assert (invoice.subtotal, invoice.tax, invoice.total, invoice.amount_paid) == (
        3750, 750, 4500, 4500)
    assert invoice.tax_lines[0].name == "VAT"
    assert invoice.tax_lines[0].rate_percent == "20"
    assert invoice.number == purchase.charge_invoice.number


def test_a_cursor_for_another_listing_is_refused(adapter, sandbox):
    with pytest.raises(ValueError, match="does not continue"):
        adapter.list_page(ObjectKind.CHARGE, cursor="/accounts?cursor=x:1", limit=10)


def test_fetch_refund_by_charge_id_is_not_found(adapter, make_payment):
    charge = make_payment(10.0)
    with pytest.raises(GatewayNotFound):
        adapter.fetch(ObjectKind.REFUND, charge.id)
    with pytest.raises(GatewayNotFound):
        adapter.fetch(ObjectKind.TAX_ID, f"{charge.account.id}:account_vat")

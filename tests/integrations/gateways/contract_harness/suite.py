"""Helpers of the contract suite: capability skips, paging walks, and the probes that must raise
Unsupported for a capability an adapter does not declare (run with ids that exist nowhere, so an
adapter has to refuse before it looks anything up)."""
from __future__ import annotations

import pytest

from backend.integrations.gateways import Capability, GatewayAdapter
from backend.integrations.gateways.records import InvoiceLineRecord, ObjectKind

MISSING = "contract-missing-object"


def require(adapter: GatewayAdapter, *capabilities: Capability) -> None:
    """Skip, naming the capability, when the adapter honestly declares it unsupported."""
    missing = [c.value for c in capabilities if c not in adapter.capabilities]
    if missing:
        pytest.skip(f"{adapter.name} declares no {', '.join(missing)} capability")


def refund(adapter, charge_id: str, amount: int | None, currency: str, key: str):
    return adapter.refund(charge_id=charge_id, amount=amount, currency=currency,
                          reason="requested_by_customer", note="contract suite", idempotency_key=key)


def walk(adapter, kind: ObjectKind, cursor: str | None = None, limit: int = 2) -> tuple[list, int]:
    """Every record from `cursor` on, and how many pages it took."""
    records, pages = [], 0
    while True:
        page = adapter.list_page(kind, cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        records += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return records, pages
        assert pages < 50, "listing never ends"



UNDECLARED_PROBES = {
    Capability.REFUND: lambda a: refund(a, MISSING, None, "USD", "k"),
    Capability.PARTIAL_REFUND: lambda a: refund(a, MISSING, 100, "USD", "k"),
    Capability.CAPTURE: lambda a: a.capture(charge_id=MISSING, amount=None, idempotency_key="k"),
    Capability.PARTIAL_CAPTURE: lambda a: a.capture(charge_id=MISSING, amount=100, idempotency_key="k"),
    Capability.VOID: lambda a: a.void(charge_id=MISSING, idempotency_key="k"),
    Capability.CANCEL_NOW: lambda a: a.cancel_subscription(
        subscription_id=MISSING, at_period_end=False, prorate=False, idempotency_key="k"),
    Capability.CANCEL_AT_PERIOD_END: lambda a: a.cancel_subscription(
        subscription_id=MISSING, at_period_end=True, prorate=False, idempotency_key="k"),
    Capability.CANCEL_PRORATE: lambda a: a.cancel_subscription(
        subscription_id=MISSING, at_period_end=False, prorate=True, idempotency_key="k"),
    Capability.CREATE_SUBSCRIPTION: lambda a: a.create_subscription(
        customer_id=MISSING, price_id=MISSING, quantity=1, trial_days=None, coupon=None,
        idempotency_key="k"),
    Capability.SUBSCRIPTION_TRIAL: lambda a: a.create_subscription(
        customer_id=MISSING, price_id=MISSING, quantity=1, trial_days=14, coupon=None,
        idempotency_key="k"),
    Capability.CREATE_INVOICE: lambda a: a.create_invoice(
        customer_id=MISSING, currency="USD", lines=(InvoiceLineRecord("x", 100),), days_until_due=7,
        idempotency_key="k"),
    Capability.SEND_INVOICE: lambda a: a.send_invoice(invoice_id=MISSING, idempotency_key="k"),
    Capability.COUPON_ON_SUBSCRIPTION: lambda a: a.apply_coupon(
        target_kind=ObjectKind.SUBSCRIPTION, target_id=MISSING, code="X", idempotency_key="k"),
    Capability.COUPON_ON_CUSTOMER: lambda a: a.apply_coupon(
        target_kind=ObjectKind.CUSTOMER, target_id=MISSING, code="X", idempotency_key="k"),
    Capability.TAX_IDS: lambda a: a.add_tax_id(customer_id=MISSING, type="eu_vat",
                                               value="DE123456789", idempotency_key="k"),
    Capability.WEBHOOKS: lambda a: a.parse_webhook(headers={}, body=b"{}"),
}

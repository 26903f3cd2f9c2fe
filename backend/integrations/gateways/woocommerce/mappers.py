"""WooCommerce objects (decoded JSON) -> our records. Status tables are explicit; anything else
(a status a plugin added, such as "partial-payment") maps to UNKNOWN, never to success.

Money arrives as decimal strings in major units of the order's currency and is converted with the
exponent table (backend.money); refunds appear on an order as negative totals ("-10.00").
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.emails import normalize_email
from backend.money import normalize_currency, to_minor

from ..records import (
    ChargeRecord, ChargeStatus, CustomerRecord, InvoiceLineRecord, InvoiceRecord, InvoiceStatus, RefundRecord,
    RefundStatus, SubscriptionRecord, SubscriptionStatus, map_status,
)

GUEST_PREFIX = "guest:"
RUN_META_KEY = "chargedesk_run_id"

CHARGE_STATUS = {
    "pending": ChargeStatus.PENDING,  # awaiting payment
    "on-hold": ChargeStatus.PENDING,  # awaiting confirmation (bank transfer, cheque)
    "checkout-draft": ChargeStatus.PENDING,
    "processing": ChargeStatus.SUCCEEDED,  # paid, being fulfilled
    "completed": ChargeStatus.SUCCEEDED,
    "refunded": ChargeStatus.SUCCEEDED,  # paid, then given back (amount_refunded says how much)
    "failed": ChargeStatus.FAILED,
    "cancelled": ChargeStatus.CANCELED,
}
INVOICE_STATUS = {
    "checkout-draft": InvoiceStatus.DRAFT,
    "pending": InvoiceStatus.OPEN, "on-hold": InvoiceStatus.OPEN, "failed": InvoiceStatus.OPEN,
    "processing": InvoiceStatus.PAID, "completed": InvoiceStatus.PAID, "refunded": InvoiceStatus.PAID,
    "cancelled": InvoiceStatus.VOID,
}
SUBSCRIPTION_STATUS = {
    "pending": SubscriptionStatus.INCOMPLETE,
    "active": SubscriptionStatus.ACTIVE,
    "pending-cancel": SubscriptionStatus.ACTIVE,  # cancelled, runs until the prepaid term ends
    "on-hold": SubscriptionStatus.PAST_DUE,  # renewal unpaid
    "cancelled": SubscriptionStatus.CANCELED,
    "switched": SubscriptionStatus.CANCELED,  # replaced by another subscription
    "expired": SubscriptionStatus.EXPIRED,
}
PAID = frozenset({"processing", "completed", "refunded"})


def utc(value: str | None) -> dt.datetime | None:
    """A *_gmt field ("2026-01-05T10:00:00", no zone) as an aware UTC datetime."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed.astimezone(dt.timezone.utc)


def created(obj: dict) -> dt.datetime | None:
    return utc(obj.get("date_created_gmt") or obj.get("date_created"))


def minor(value: Any, currency: str) -> int:
    return to_minor(str(value if value not in (None, "") else "0"), currency)


def currency_of(obj: dict) -> str:
    return normalize_currency(obj.get("currency") or "")


def guest_id(email: str | None) -> str | None:
    """"guest:<normalized email>", or None for a billing email that is not one (or too long to key)."""
    normalized = normalize_email(email)
    if normalized is None or len(GUEST_PREFIX + normalized) > 255:
        return None
    return GUEST_PREFIX + normalized


def customer_ref(obj: dict) -> str | None:
    """Registered customers by id; guest checkouts by their billing email."""
    if int(obj.get("customer_id") or 0):
        return str(obj["customer_id"])
    return guest_id((obj.get("billing") or {}).get("email"))


def clip(value, limit: int) -> str | None:
    """Free text a shop may make as long as it likes, cut to what the mirror's column holds."""
    return str(value)[:limit] if value not in (None, "") else None


def _name(obj: dict) -> str | None:
    return clip(" ".join(str(p) for p in (obj.get("first_name"), obj.get("last_name")) if p), 200)


def customer_record(c: dict) -> CustomerRecord:
    billing_email = (c.get("billing") or {}).get("email")
    emails = tuple(dict.fromkeys(e for e in (c.get("email"), billing_email) if e))
    return CustomerRecord(external_id=str(c["id"]), email=c.get("email") or billing_email,
                          name=_name(c) or _name(c.get("billing") or {}), emails=emails, created_at=created(c))


def guest_record(order: dict) -> CustomerRecord | None:
    billing = order.get("billing") or {}
    email, external_id = billing.get("email"), guest_id(billing.get("email"))
    if int(order.get("customer_id") or 0) or external_id is None:
        return None
    return CustomerRecord(external_id=external_id, email=email, name=_name(billing), emails=(email,),
                          created_at=created(order), currency=currency_of(order), metadata={"guest": True})


def refunded_of(order: dict, currency: str) -> int:
    return sum(-minor(r.get("total"), currency) for r in order.get("refunds") or ())


def charge_record(order: dict) -> ChargeRecord:
    currency, raw = currency_of(order), str(order.get("status") or "")
    total = minor(order.get("total"), currency)
    status = map_status(CHARGE_STATUS, raw, ChargeStatus.UNKNOWN)
    captured = total if raw in PAID else 0
    items = ", ".join(li.get("name", "") for li in order.get("line_items") or ())
    return ChargeRecord(
        external_id=str(order["id"]), customer_external_id=customer_ref(order), amount=total,
        currency=currency, status=status, raw_status=raw, amount_captured=captured,
        amount_refunded=min(refunded_of(order, currency), captured),
        description=f"Order #{order.get('number') or order['id']}" + (f": {items}"[:300] if items else ""),
        failure_message="The payment failed" if raw == "failed" else None,
        invoice_external_id=str(order["id"]), created_at=created(order))


def invoice_record(order: dict) -> InvoiceRecord:
    """An order is also the shop's invoice: pending/on-hold ones can be (re)sent to pay."""
    currency, raw = currency_of(order), str(order.get("status") or "")
    total, tax = minor(order.get("total"), currency), minor(order.get("total_tax"), currency)
    status = map_status(INVOICE_STATUS, raw, InvoiceStatus.UNKNOWN)
    paid = total if raw in PAID else 0
    lines = tuple(InvoiceLineRecord(description=li.get("name"), amount=minor(li.get("total"), currency),
                                    quantity=int(li.get("quantity") or 1), external_id=str(li.get("id")))
                  for li in order.get("line_items") or ())
    return InvoiceRecord(
        external_id=str(order["id"]), customer_external_id=customer_ref(order), status=status, raw_status=raw,
        currency=currency, number=clip(order.get("number") or order["id"], 64), subtotal=total - tax, tax=tax,
        total=total, amount_paid=paid, amount_due=total - paid if status is InvoiceStatus.OPEN else 0,
        created_at=created(order), charge_external_id=str(order["id"]), lines=lines)


def refund_record(refund: dict, *, order_id: str, currency: str) -> RefundRecord:
    """A full refund object (GET orders/<id>/refunds); its amount is positive."""
    meta = {m.get("key"): m.get("value") for m in refund.get("meta_data") or () if isinstance(m, dict)}
    metadata = {RUN_META_KEY: meta[RUN_META_KEY]} if RUN_META_KEY in meta else {}
    metadata["refunded_payment"] = bool(refund.get("refunded_payment"))
    return RefundRecord(external_id=str(refund["id"]), charge_external_id=order_id,
                        amount=minor(refund.get("amount"), currency), currency=currency,
                        status=RefundStatus.SUCCEEDED, raw_status="refunded" if refund.get("refunded_payment")
                        else "recorded", reason=clip(refund.get("reason"), 200), created_at=created(refund),
                        metadata=metadata)


def subscription_record(sub: dict) -> SubscriptionRecord:
    currency, raw = currency_of(sub), str(sub.get("status") or "")
    status = map_status(SUBSCRIPTION_STATUS, raw, SubscriptionStatus.UNKNOWN)
    trial_end = utc(sub.get("trial_end_date_gmt"))
    if status is SubscriptionStatus.ACTIVE and trial_end and trial_end > dt.datetime.now(dt.timezone.utc):
        status = SubscriptionStatus.TRIALING
    ending = raw == "pending-cancel"
    line = (sub.get("line_items") or [{}])[0]
    return SubscriptionRecord(
        external_id=str(sub["id"]), customer_external_id=customer_ref(sub), status=status, raw_status=raw,
        plan_name=clip(line.get("name"), 200), price_external_id=str(line["product_id"]) if line.get("product_id") else None,
        amount=minor(sub.get("total"), currency), currency=currency, interval=clip(sub.get("billing_period"), 16),
        current_period_end=utc(sub.get("end_date_gmt") if ending else sub.get("next_payment_date_gmt")),
        cancel_at_period_end=ending, canceled_at=utc(sub.get("cancelled_date_gmt")), trial_end=trial_end,
        created_at=created(sub))

"""PayPal objects -> our records. Money arrives as {currency_code, value} decimal strings and is
converted with the currency exponent table; statuses go through explicit tables (unknown -> UNKNOWN).

A charge is an authorization (with the captures made from it) or a capture made directly from an
order; refunds come from the order's `payments.refunds` and point "up" to their capture. PayPal has
no customer object: a customer is a payer (subscriber, invoice recipient), keyed by normalized email.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable

from backend.money import MoneyError, normalize_currency, to_minor

from ..records import (
    ChargeRecord, ChargeStatus, CustomerRecord, InvoiceLineRecord, InvoiceRecord, InvoiceStatus,
    RefundRecord, RefundStatus, SubscriptionRecord, SubscriptionStatus, map_status,
)

CAPTURE_STATUS = {"COMPLETED": ChargeStatus.SUCCEEDED, "PARTIALLY_REFUNDED": ChargeStatus.SUCCEEDED,
                  "REFUNDED": ChargeStatus.SUCCEEDED, "PENDING": ChargeStatus.PENDING,
                  "DECLINED": ChargeStatus.FAILED, "FAILED": ChargeStatus.FAILED}
AUTHORIZATION_STATUS = {"CREATED": ChargeStatus.AUTHORIZED, "PENDING": ChargeStatus.PENDING,
                        "CAPTURED": ChargeStatus.SUCCEEDED, "PARTIALLY_CAPTURED": ChargeStatus.SUCCEEDED,
                        "VOIDED": ChargeStatus.CANCELED, "EXPIRED": ChargeStatus.CANCELED,
                        "DENIED": ChargeStatus.FAILED}
REFUND_STATUS = {"COMPLETED": RefundStatus.SUCCEEDED, "PENDING": RefundStatus.PENDING,
                 "FAILED": RefundStatus.FAILED, "CANCELLED": RefundStatus.CANCELED}
SUBSCRIPTION_STATUS = {"APPROVAL_PENDING": SubscriptionStatus.INCOMPLETE, "APPROVED": SubscriptionStatus.INCOMPLETE,
                       "ACTIVE": SubscriptionStatus.ACTIVE, "SUSPENDED": SubscriptionStatus.PAUSED,
                       "CANCELLED": SubscriptionStatus.CANCELED, "EXPIRED": SubscriptionStatus.EXPIRED}
INVOICE_STATUS = {"DRAFT": InvoiceStatus.DRAFT, "SCHEDULED": InvoiceStatus.DRAFT, "SENT": InvoiceStatus.OPEN,
                  "UNPAID": InvoiceStatus.OPEN, "PAYMENT_PENDING": InvoiceStatus.OPEN,
                  "PARTIALLY_PAID": InvoiceStatus.OPEN, "PAID": InvoiceStatus.PAID,
                  "MARKED_AS_PAID": InvoiceStatus.PAID, "CANCELLED": InvoiceStatus.VOID}
INTERVALS = {"DAY": "day", "WEEK": "week", "MONTH": "month", "YEAR": "year"}


def money(obj: dict | None) -> tuple[int, str]:
    """{currency_code, value} -> (minor units, currency); MoneyError for anything else."""
    if not isinstance(obj, dict) or not isinstance(obj.get("value"), str):
        raise MoneyError(f"not a PayPal money object: {obj!r}")
    currency = normalize_currency(str(obj.get("currency_code") or ""))
    return to_minor(obj["value"], currency), currency


def when(raw: str | None) -> datetime | None:
    if not raw:
        return None
    parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def email_key(email: str | None) -> str | None:
    """A customer's external id: the payer's email, trimmed and lower-cased."""
    cleaned = str(email or "").strip().lower()
    return cleaned or None


def up_id(obj: dict, kind: str) -> str | None:
    """The id in the object's rel="up" link to a `kind` (captures, authorizations)."""
    for link in obj.get("links") or ():
        href = str(link.get("href") or "")
        if link.get("rel") == "up" and f"/{kind}/" in href:
            return href.rstrip("/").rsplit("/", 1)[-1]
    return None


def authorization_of(capture: dict) -> str | None:
    related = (capture.get("supplementary_data") or {}).get("related_ids") or {}
    return related.get("authorization_id") or up_id(capture, "authorizations")


def order_of(payment: dict) -> str | None:
    return ((payment.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")


def payments_of(order: dict) -> tuple[list, list, list]:
    auths, captures, refunds = [], [], []
    for unit in order.get("purchase_units") or ():
        payments = unit.get("payments") or {}
        auths += payments.get("authorizations") or []
        captures += payments.get("captures") or []
        refunds += payments.get("refunds") or []
    return auths, captures, refunds


def payer_email(order: dict) -> str | None:
    return email_key((order.get("payer") or {}).get("email_address"))


def charges_of_order(order: dict) -> list[ChargeRecord]:
    """One charge per authorization (its captures folded in) and per capture made without one."""
    auths, captures, refunds = payments_of(order)
    refunded: dict[str, int] = {}
    for refund in refunds:
        if REFUND_STATUS.get(refund.get("status")) in (RefundStatus.SUCCEEDED, RefundStatus.PENDING):
            capture_id = up_id(refund, "captures")
            refunded[capture_id] = refunded.get(capture_id, 0) + money(refund.get("amount"))[0]
    customer, charges = payer_email(order), []
    for auth in auths:
        amount, currency = money(auth.get("amount"))
        own = [c for c in captures if authorization_of(c) == auth.get("id")]
        captured = sum(money(c.get("amount"))[0] for c in own)
        status = map_status(AUTHORIZATION_STATUS, auth.get("status"), ChargeStatus.UNKNOWN)
        left = amount - captured if auth.get("status") in ("CREATED", "PARTIALLY_CAPTURED") else 0
        charges.append(ChargeRecord(
            external_id=str(auth["id"]), customer_external_id=customer, amount=amount, currency=currency,
            status=status, raw_status=str(auth.get("status")), amount_captured=captured,
            amount_refunded=sum(refunded.get(c.get("id"), 0) for c in own), amount_capturable=max(left, 0),
            created_at=when(auth.get("create_time"))))
    for capture in captures:
        if authorization_of(capture):
            continue
        amount, currency = money(capture.get("amount"))
        status = map_status(CAPTURE_STATUS, capture.get("status"), ChargeStatus.UNKNOWN)
        charges.append(ChargeRecord(
            external_id=str(capture["id"]), customer_external_id=customer, amount=amount, currency=currency,
            status=status, raw_status=str(capture.get("status")),
            amount_captured=amount if status is ChargeStatus.SUCCEEDED else 0,
            amount_refunded=refunded.get(capture["id"], 0), created_at=when(capture.get("create_time"))))
    return charges


def charge_id_of_capture(order: dict, capture_id: str) -> str:
    """The charge a capture belongs to: its authorization's id, else its own."""
    _auths, captures, _refunds = payments_of(order)
    capture = next((c for c in captures if c.get("id") == capture_id), {})
    return authorization_of(capture) or capture_id


def captures_of_charge(order: dict, charge_id: str) -> list[dict]:
    _auths, captures, _refunds = payments_of(order)
    return [c for c in captures if c.get("id") == charge_id or authorization_of(c) == charge_id]


def refunds_of_order(order: dict) -> list[RefundRecord]:
    _auths, _captures, refunds = payments_of(order)
    return [refund_record(r, charge_id=charge_id_of_capture(order, up_id(r, "captures") or "")) for r in refunds]


def refund_record(refund: dict, *, charge_id: str | None) -> RefundRecord:
    amount, currency = money(refund.get("amount"))
    metadata = {"chargedesk_run_id": refund["custom_id"]} if refund.get("custom_id") else {}
    return RefundRecord(external_id=str(refund["id"]), charge_external_id=charge_id, amount=amount,
                        currency=currency, status=map_status(REFUND_STATUS, refund.get("status"), RefundStatus.UNKNOWN),
                        raw_status=str(refund.get("status")), reason=refund.get("note_to_payer"),
                        created_at=when(refund.get("create_time")), metadata=metadata)


def subscription_record(sub: dict) -> SubscriptionRecord:
    billing = sub.get("billing_info") or {}
    last = (billing.get("last_payment") or {}).get("amount")
    amount, currency = money(last) if last else (None, None)
    status = map_status(SUBSCRIPTION_STATUS, sub.get("status"), SubscriptionStatus.UNKNOWN)
    quantity = str(sub.get("quantity") or "1")
    return SubscriptionRecord(
        external_id=str(sub["id"]), customer_external_id=email_key((sub.get("subscriber") or {}).get("email_address")),
        status=status, raw_status=str(sub.get("status")), plan_name=sub.get("plan_id"),
        price_external_id=sub.get("plan_id"), amount=amount, currency=currency,
        quantity=int(quantity) if quantity.isdigit() else 1,
        current_period_end=when(billing.get("next_billing_time")),
        canceled_at=when(sub.get("status_update_time")) if sub.get("status") == "CANCELLED" else None,
        created_at=when(sub.get("create_time")))


def invoice_record(invoice: dict) -> InvoiceRecord:
    detail = invoice.get("detail") or {}
    total, currency = money(invoice.get("amount")) if invoice.get("amount") else (0, normalize_currency(
        str(detail.get("currency_code") or "")))
    breakdown = (invoice.get("amount") or {}).get("breakdown") or {}
    subtotal = money(breakdown["item_total"])[0] if breakdown.get("item_total") else total
    tax = money(breakdown["tax_total"])[0] if breakdown.get("tax_total") else 0
    paid = money((invoice.get("payments") or {}).get("paid_amount"))[0] \
        if (invoice.get("payments") or {}).get("paid_amount") else 0
    due = money(invoice["due_amount"])[0] if invoice.get("due_amount") else total - paid
    recipients = invoice.get("primary_recipients") or [{}]
    due_date = (detail.get("payment_term") or {}).get("due_date")
    return InvoiceRecord(
        external_id=str(invoice["id"]),
        customer_external_id=email_key((recipients[0].get("billing_info") or {}).get("email_address")),
        status=map_status(INVOICE_STATUS, invoice.get("status"), InvoiceStatus.UNKNOWN),
        raw_status=str(invoice.get("status")), currency=currency, number=detail.get("invoice_number"),
        subtotal=subtotal, tax=tax, total=total, amount_due=due, amount_paid=paid,
        due_at=when(f"{due_date}T00:00:00Z") if due_date else None,
        created_at=when((detail.get("metadata") or {}).get("create_time")),
        hosted_url=(detail.get("metadata") or {}).get("recipient_view_url"),
        lines=tuple(_line(item, currency) for item in invoice.get("items") or ()))


def _line(item: dict, currency: str) -> InvoiceLineRecord:
    unit, _ = money(item.get("unit_amount"))
    try:
        quantity = Decimal(str(item.get("quantity") or "1"))
    except InvalidOperation:
        raise MoneyError(f"invoice item quantity {item.get('quantity')!r} is not a number") from None
    if not quantity.is_finite() or quantity <= 0:
        raise MoneyError(f"invoice item quantity {item.get('quantity')!r} is not positive")
    whole = quantity == quantity.to_integral_value()
    return InvoiceLineRecord(description=item.get("name"),
                             amount=int((unit * quantity).to_integral_value(ROUND_HALF_UP)),
                             quantity=int(quantity) if whole else 1)


def customer_from_payer(info: dict) -> CustomerRecord | None:
    """A transaction's payer_info -> a customer (None when PayPal withheld the email)."""
    email = email_key(info.get("email_address"))
    if email is None:
        return None
    name = info.get("payer_name") or {}
    full = " ".join(p for p in (name.get("given_name"), name.get("surname")) if p) or name.get("alternate_full_name")
    return CustomerRecord(external_id=email, email=email, name=full or None, emails=(email,),
                          metadata={"paypal_payer_id": info["account_id"]} if info.get("account_id") else {})


def customer_from_order(order: dict) -> CustomerRecord | None:
    payer = order.get("payer") or {}
    return customer_from_payer({"email_address": payer.get("email_address"), "payer_name": payer.get("name"),
                                "account_id": payer.get("payer_id")})


def customer_from_subscriber(sub: dict) -> CustomerRecord | None:
    subscriber = sub.get("subscriber") or {}
    return customer_from_payer({"email_address": subscriber.get("email_address"), "payer_name": subscriber.get("name"),
                                "account_id": subscriber.get("payer_id")})


def customer_from_invoice(invoice: dict) -> CustomerRecord | None:
    billing = ((invoice.get("primary_recipients") or [{}])[0].get("billing_info") or {})
    email = email_key(billing.get("email_address"))
    if email is None:
        return None
    name = billing.get("name") or {}
    full = " ".join(p for p in (name.get("given_name"), name.get("surname")) if p)
    return CustomerRecord(external_id=email, email=email, name=full or None, emails=(email,))


def unique_customers(records: Iterable[CustomerRecord | None]) -> tuple[CustomerRecord, ...]:
    seen: dict[str, CustomerRecord] = {}
    for record in records:
        if record is not None and record.external_id not in seen:
            seen[record.external_id] = record
    return tuple(seen.values())

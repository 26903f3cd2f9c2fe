"""Braintree SDK objects -> our records. Explicit status tables; anything unlisted is UNKNOWN.

Reads attributes only (duck typing, no SDK import). Braintree amounts are decimal strings in
major units of the transaction's currency; they become integer minor units here.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from backend.money import to_minor

from ..records import (
    ChargeRecord, ChargeStatus, CustomerRecord, DisputeRecord, DisputeStatus, RefundRecord,
    RefundStatus, SubscriptionRecord, SubscriptionStatus, map_status,
)

CHARGE_STATUS = {
    "authorizing": ChargeStatus.PENDING,
    "authorized": ChargeStatus.AUTHORIZED,
    "submitted_for_settlement": ChargeStatus.SUCCEEDED,
    "settling": ChargeStatus.SUCCEEDED,
    "settled": ChargeStatus.SUCCEEDED,
    "settlement_pending": ChargeStatus.SUCCEEDED,
    "settlement_confirmed": ChargeStatus.SUCCEEDED,
    "voided": ChargeStatus.CANCELED,
    "authorization_expired": ChargeStatus.CANCELED,
    "processor_declined": ChargeStatus.FAILED,
    "gateway_rejected": ChargeStatus.FAILED,
    "failed": ChargeStatus.FAILED,
    "settlement_declined": ChargeStatus.FAILED,
}
REFUND_STATUS = {  # a refund is a `credit` transaction with its own lifecycle
    "authorizing": RefundStatus.PENDING,
    "authorized": RefundStatus.PENDING,
    "submitted_for_settlement": RefundStatus.SUCCEEDED,
    "settling": RefundStatus.SUCCEEDED,
    "settled": RefundStatus.SUCCEEDED,
    "settlement_pending": RefundStatus.SUCCEEDED,
    "settlement_confirmed": RefundStatus.SUCCEEDED,
    "voided": RefundStatus.CANCELED,
    "processor_declined": RefundStatus.FAILED,
    "gateway_rejected": RefundStatus.FAILED,
    "failed": RefundStatus.FAILED,
    "settlement_declined": RefundStatus.FAILED,
}
SUBSCRIPTION_STATUS = {
    "Active": SubscriptionStatus.ACTIVE,  # trials are Active too; see subscription_status()
    "Past Due": SubscriptionStatus.PAST_DUE,
    "Canceled": SubscriptionStatus.CANCELED,
    "Expired": SubscriptionStatus.EXPIRED,
    "Pending": SubscriptionStatus.INCOMPLETE,  # future first billing date: not started yet
}
DISPUTE_STATUS = {
    "open": DisputeStatus.NEEDS_RESPONSE,
    "disputed": DisputeStatus.UNDER_REVIEW,
    "under_review": DisputeStatus.UNDER_REVIEW,
    "won": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
    "accepted": DisputeStatus.LOST,
    "auto_accepted": DisputeStatus.LOST,
    "expired": DisputeStatus.LOST,
}
REFUND_COUNTS = frozenset(s for s, v in REFUND_STATUS.items()
                          if v in (RefundStatus.SUCCEEDED, RefundStatus.PENDING))


def utc(value: Any) -> dt.datetime | None:
    """SDK datetimes are naive UTC and dates are plain dates; records want aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None \
            else value.astimezone(dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return None


_INT64_MAX = 2**63 - 1


def minor(amount: Any, currency: str) -> int:
    """A Braintree decimal amount (Decimal or string) in minor units of `currency`.

    ValueError (MoneyError) for what is not an amount, or one no column can hold."""
    value = to_minor(str(amount), currency)
    if abs(value) > _INT64_MAX:
        raise ValueError(f"amount {str(amount)[:40]} is out of range")
    return value


def currency_of(obj: Any) -> str:
    return str(getattr(obj, "currency_iso_code", None) or "USD").upper()


def _nested_attr(obj: Any, holder: str, name: str) -> Any:
    return getattr(getattr(obj, holder, None), name, None)


def charge_record(tx: Any, *, refunded: int = 0) -> ChargeRecord:
    """A sale transaction; `refunded` is the sum of its refunds in minor units."""
    currency = currency_of(tx)
    amount = minor(tx.amount, currency)
    status = map_status(CHARGE_STATUS, getattr(tx, "status", None), ChargeStatus.UNKNOWN)
    failed = status is ChargeStatus.FAILED
    return ChargeRecord(
        external_id=tx.id, customer_external_id=_nested_attr(tx, "customer_details", "id"),
        amount=amount, currency=currency, status=status,
        raw_status=str(getattr(tx, "status", "") or ""),
        amount_captured=amount if status is ChargeStatus.SUCCEEDED else 0,
        amount_refunded=refunded,
        amount_capturable=amount if status is ChargeStatus.AUTHORIZED else 0,
        card_brand=_nested_attr(tx, "credit_card_details", "card_type"),
        card_last4=_nested_attr(tx, "credit_card_details", "last_4"),
        description=getattr(tx, "order_id", None) or None,
        failure_message=_failure_message(tx) if failed else None,
        created_at=utc(getattr(tx, "created_at", None)),
    )


def _failure_message(tx: Any) -> str | None:
    return (getattr(tx, "processor_response_text", None)
            or getattr(tx, "gateway_rejection_reason", None)
            or getattr(tx, "processor_settlement_response_text", None) or None)


def refund_record(credit: Any) -> RefundRecord:
    """A credit transaction; order_id carries our idempotency key when we made it."""
    currency = currency_of(credit)
    order_id = getattr(credit, "order_id", None)
    return RefundRecord(
        external_id=credit.id,
        charge_external_id=getattr(credit, "refunded_transaction_id", None),
        amount=minor(credit.amount, currency), currency=currency,
        status=map_status(REFUND_STATUS, getattr(credit, "status", None), RefundStatus.UNKNOWN),
        raw_status=str(getattr(credit, "status", "") or ""),
        created_at=utc(getattr(credit, "created_at", None)),
        metadata={"order_id": order_id} if order_id else {},
    )


def refunded_total(credits: list[Any], currency: str) -> int:
    """Minor units refunded by these credits (declined or voided credits returned nothing)."""
    return sum(minor(c.amount, currency) for c in credits
               if getattr(c, "status", None) in REFUND_COUNTS)


def customer_record(customer: Any) -> CustomerRecord:
    email = getattr(customer, "email", None) or None
    names = [getattr(customer, "first_name", None), getattr(customer, "last_name", None)]
    name = " ".join(n for n in names if n) or None
    return CustomerRecord(external_id=customer.id, email=email, name=name,
                          emails=(email,) if email else (),
                          created_at=utc(getattr(customer, "created_at", None)),
                          metadata={"company": customer.company}
                          if getattr(customer, "company", None) else {})


def subscription_status(sub: Any, raw: str | None, today: dt.date) -> SubscriptionStatus:
    """Braintree keeps trials Active; before the first billing date we call it TRIALING."""
    status = map_status(SUBSCRIPTION_STATUS, raw, SubscriptionStatus.UNKNOWN)
    first_billing = getattr(sub, "first_billing_date", None)
    in_trial = bool(getattr(sub, "trial_period", False)) and isinstance(first_billing, dt.date)
    if status is SubscriptionStatus.ACTIVE and in_trial and first_billing > today:
        return SubscriptionStatus.TRIALING
    return status


def subscription_record(sub: Any, *, plan: Any = None, customer_id: str | None = None,
                        currency: str | None = None, raw_status: str | None = None,
                        today: dt.date | None = None) -> SubscriptionRecord:
    """`plan` supplies name and currency (subscriptions carry neither); `raw_status` fills in
    when a payload omits the status (Braintree's sample notifications do)."""
    raw = getattr(sub, "status", None) or raw_status
    currency = currency_of(plan) if plan is not None else currency
    price = getattr(sub, "price", None)
    return SubscriptionRecord(
        external_id=sub.id, customer_external_id=customer_id,
        status=subscription_status(sub, raw, today or dt.datetime.now(dt.timezone.utc).date()),
        raw_status=str(raw or ""), plan_name=getattr(plan, "name", None),
        price_external_id=getattr(sub, "plan_id", None),
        amount=minor(price, currency) if currency and price not in (None, "") else None,
        currency=currency, interval="month",
        current_period_end=utc(getattr(sub, "billing_period_end_date", None)),
        canceled_at=_canceled_at(sub), trial_end=_trial_end(sub),
        discount_codes=tuple(d.id for d in getattr(sub, "discounts", None) or ()),
        created_at=utc(getattr(sub, "created_at", None)),
    )


def _canceled_at(sub: Any) -> dt.datetime | None:
    events = [e for e in getattr(sub, "status_history", None) or ()
              if getattr(e, "status", None) == "Canceled"]
    return utc(getattr(events[-1], "timestamp", None)) if events else None


def _trial_end(sub: Any) -> dt.datetime | None:
    if not getattr(sub, "trial_period", False):
        return None
    return utc(getattr(sub, "first_billing_date", None))


def dispute_record(dispute: Any) -> DisputeRecord:
    currency = currency_of(dispute)
    amount = getattr(dispute, "amount_disputed", None) or getattr(dispute, "amount", None) or 0
    return DisputeRecord(
        external_id=dispute.id,
        charge_external_id=_nested_attr(dispute, "transaction", "id"),
        amount=minor(amount, currency), currency=currency,
        status=map_status(DISPUTE_STATUS, getattr(dispute, "status", None),
                          DisputeStatus.UNKNOWN),
        raw_status=str(getattr(dispute, "status", "") or ""),
        reason=getattr(dispute, "reason", None),
        evidence_due_by=utc(getattr(dispute, "reply_by_date", None)),
        created_at=utc(getattr(dispute, "created_at", None)),
    )

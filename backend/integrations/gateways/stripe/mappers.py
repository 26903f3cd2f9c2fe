"""Stripe objects (plain dicts from client.py) -> our frozen records, with explicit status tables.

Stripe amounts are integer minor units (JPY 500 = 500, KWD 1.250 = 1250) and pass through
unchanged, except where Stripe's unit differs from ISO 4217 (ISK: Stripe keeps two decimals, we
use none), which `stripe_to_minor`/`minor_to_stripe` convert. Currencies are upper-cased.
Expandable fields may arrive as an id or as the expanded object; `_id` accepts both.
Unknown statuses map to UNKNOWN, never to success.
"""
from __future__ import annotations

from datetime import datetime, timezone
from collections.abc import Callable, Mapping
from typing import Any

from backend.money import exponent
from ..records import (
    BillingRecord, ChargeRecord, ChargeStatus, CustomerRecord, DisputeRecord, DisputeStatus,
    InvoiceLineRecord, InvoiceRecord, InvoiceStatus, ObjectKind, RefundRecord, RefundStatus,
    SubscriptionRecord, SubscriptionStatus, TaxIdRecord, TaxLineRecord, map_status,
)

StripeDict = Mapping[str, Any]

# A charge's state is its `status` refined by `captured`/`refunded`; see charge_status_key().
CHARGE_STATUSES: dict[str, ChargeStatus] = {
    "succeeded:captured": ChargeStatus.SUCCEEDED,
    "succeeded:authorized": ChargeStatus.AUTHORIZED,
    "succeeded:voided": ChargeStatus.CANCELED,
    "pending": ChargeStatus.PENDING,
    "failed": ChargeStatus.FAILED,
}
REFUND_STATUSES: dict[str, RefundStatus] = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}
SUBSCRIPTION_STATUSES: dict[str, SubscriptionStatus] = {
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "paused": SubscriptionStatus.PAUSED,
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "incomplete_expired": SubscriptionStatus.EXPIRED,
    "canceled": SubscriptionStatus.CANCELED,
}
INVOICE_STATUSES: dict[str, InvoiceStatus] = {
    "draft": InvoiceStatus.DRAFT,
    "open": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "void": InvoiceStatus.VOID,
    "uncollectible": InvoiceStatus.UNCOLLECTIBLE,
}
# Inquiries (warning_*) count like chargebacks; a closed one kept the funds (WON); "prevented" stays UNKNOWN.
DISPUTE_STATUSES: dict[str, DisputeStatus] = {
    "warning_needs_response": DisputeStatus.NEEDS_RESPONSE,
    "needs_response": DisputeStatus.NEEDS_RESPONSE,
    "appeal_needs_response": DisputeStatus.NEEDS_RESPONSE,
    "warning_under_review": DisputeStatus.UNDER_REVIEW,
    "under_review": DisputeStatus.UNDER_REVIEW,
    "appeal_under_review": DisputeStatus.UNDER_REVIEW,
    "warning_closed": DisputeStatus.WON,
    "won": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
}


# Stripe's minor-unit exponent where it differs from backend.money's ISO table.
# ISK: "ISK will remain a two-decimal currency in the Stripe API" (support.stripe.com, 2023).
STRIPE_EXPONENT_OVERRIDES: dict[str, int] = {"ISK": 2}


def _exponent_shift(currency: str | None) -> int:
    """How many more decimals Stripe uses than we do for this currency (usually 0)."""
    code = (currency or "").upper()
    if code not in STRIPE_EXPONENT_OVERRIDES:
        return 0
    return STRIPE_EXPONENT_OVERRIDES[code] - exponent(code)


_INT64_MAX = 2**63 - 1


def whole_number(value: Any, what: str) -> int:
    """An integer Stripe sent (JSON may spell one 1e3); anything else makes the object unreadable.

    Raises ValueError naming the field, so a malformed object is refused with a reason instead
    of being half-read (int("x") fails unhelpfully; int(1.5) would quietly drop money)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{what} {shown(value)} is not a whole number")
    if abs(value) > _INT64_MAX:
        raise ValueError(f"{what} {shown(value)} is out of range")
    return int(value)


def shown(value: Any) -> str:
    """A value as an error message quotes it: its repr, cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def stripe_to_minor(amount: int | None, currency: str | None, what: str = "amount") -> int:
    """A Stripe amount in our minor units (ISK 100 at Stripe = 1 krona; fractions dropped)."""
    return whole_number(amount or 0, what) // 10 ** _exponent_shift(currency)


def minor_to_stripe(amount: int, currency: str) -> int:
    """Our minor units as the amount Stripe expects for `currency`."""
    return int(amount) * 10 ** _exponent_shift(currency)


def _id(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, str) or value is None:  # the usual case, answered without an ABC check
        return value
    if isinstance(value, Mapping):
        return value.get("id")
    return value


def _when(seconds: int | None, what: str = "timestamp") -> datetime | None:
    """Stripe unix seconds -> aware UTC datetime (ValueError naming the field if it is none)."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(whole_number(seconds, what), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{what} {shown(seconds)} is not a Unix timestamp") from None


timestamp = _when  # for the event's own `created` (webhooks.py)


def _currency(value: str | None) -> str | None:
    if not value:
        return None
    if not isinstance(value, str) or len(value) != 3 or not value.isascii() or not value.isalpha():
        raise ValueError(f"currency {shown(value)} is not a three-letter code")
    return value.upper()


def charge_status_key(charge: StripeDict) -> str:
    """The CHARGE_STATUSES key: a succeeded charge is captured, authorized (held) or voided."""
    raw = str(charge.get("status"))
    if raw != "succeeded":
        return raw
    if charge.get("captured"):
        return "succeeded:captured"
    return "succeeded:voided" if charge.get("refunded") else "succeeded:authorized"


def map_charge(charge: StripeDict) -> ChargeRecord:
    """A Stripe charge (ch_); an uncaptured one is an authorization with amount_capturable."""
    status = map_status(CHARGE_STATUSES, charge_status_key(charge), ChargeStatus.UNKNOWN)
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    currency = _currency(charge.get("currency"))
    amount = stripe_to_minor(charge.get("amount"), currency, "amount")
    captured = stripe_to_minor(charge.get("amount_captured"), currency, "amount_captured")
    # Stripe counts the released, never-captured rest of a partial capture (or a voided hold) in
    # amount_refunded; our records count only money given back out of what was captured.
    released = amount - captured if (charge.get("captured") or charge.get("refunded")) else 0
    refunded = max(stripe_to_minor(charge.get("amount_refunded"), currency, "amount_refunded") - released, 0)
    return ChargeRecord(
        external_id=charge["id"], customer_external_id=_id(charge.get("customer")),
        amount=amount, currency=currency,
        status=status, raw_status=str(charge.get("status")),
        amount_captured=captured, amount_refunded=refunded,
        amount_capturable=amount if status is ChargeStatus.AUTHORIZED else 0,
        card_brand=card.get("brand"), card_last4=card.get("last4"),
        description=charge.get("description"), failure_message=charge.get("failure_message"),
        invoice_external_id=_id(charge.get("invoice")), created_at=_when(charge.get("created"), "created"),
    )


def map_refund(refund: StripeDict) -> RefundRecord:
    """A Stripe refund (re_); metadata carries our idempotency key (chargedesk_key)."""
    currency = _currency(refund.get("currency"))
    return RefundRecord(
        external_id=refund["id"], charge_external_id=_id(refund.get("charge")),
        amount=stripe_to_minor(refund.get("amount"), currency), currency=currency,
        status=map_status(REFUND_STATUSES, refund.get("status"), RefundStatus.UNKNOWN),
        raw_status=str(refund.get("status")), reason=refund.get("reason"),
        created_at=_when(refund.get("created"), "created"), metadata=dict(refund.get("metadata") or {}),
    )


def map_customer(customer: StripeDict) -> CustomerRecord:
    """A Stripe customer; the email is lower-cased so lookups by requester email match."""
    email = (customer.get("email") or "").strip().lower() or None
    return CustomerRecord(
        external_id=customer["id"], email=email, name=customer.get("name"),
        emails=(email,) if email else (), created_at=_when(customer.get("created")),
        currency=_currency(customer.get("currency")), metadata=dict(customer.get("metadata") or {}),
    )


def _plan_name(price: StripeDict) -> str | None:
    """What support calls the plan: the price nickname, else the product name, else the price id."""
    product = price.get("product")
    product_name = product.get("name") if isinstance(product, Mapping) else None
    return price.get("nickname") or product_name or price.get("id")


def _discount_code(discount: Any) -> str | None:
    """A human code for an applied discount: promotion code, else coupon id, else the discount id."""
    if not isinstance(discount, Mapping):
        return discount
    promotion = discount.get("promotion_code")
    if isinstance(promotion, Mapping) and promotion.get("code"):
        return promotion["code"]
    coupon = (discount.get("source") or {}).get("coupon") or discount.get("coupon")
    return _id(coupon) or _id(promotion) or discount.get("id")


def _discount_codes(subscription: StripeDict) -> tuple[str, ...]:
    discounts = list(subscription.get("discounts") or [])
    if subscription.get("discount"):  # API versions before 2025-03-31.basil
        discounts.append(subscription["discount"])
    return tuple(code for code in map(_discount_code, discounts) if code)


def map_subscription(subscription: StripeDict) -> SubscriptionRecord:
    """A Stripe subscription; plan, amount and period come from its first item."""
    items = (subscription.get("items") or {}).get("data") or [{}]
    item = items[0]
    price = item.get("price") or {}
    period_end = item.get("current_period_end") or subscription.get("current_period_end")
    currency = _currency(price.get("currency") or subscription.get("currency"))
    unit_amount = price.get("unit_amount")
    return SubscriptionRecord(
        external_id=subscription["id"], customer_external_id=_id(subscription.get("customer")),
        status=map_status(SUBSCRIPTION_STATUSES, subscription.get("status"),
                          SubscriptionStatus.UNKNOWN),
        raw_status=str(subscription.get("status")), plan_name=_plan_name(price) if price else None,
        price_external_id=price.get("id"), currency=currency,
        amount=None if unit_amount is None else stripe_to_minor(unit_amount, currency),
        interval=(price.get("recurring") or {}).get("interval"),
        quantity=whole_number(item.get("quantity") or 1, "quantity"), current_period_end=_when(period_end),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")
                                  or subscription.get("cancel_at")),
        canceled_at=_when(subscription.get("canceled_at")),
        trial_end=_when(subscription.get("trial_end")),
        discount_codes=_discount_codes(subscription), created_at=_when(subscription.get("created")),
    )


def _tax_line(tax: StripeDict, currency: str | None) -> TaxLineRecord:
    """One entry of `total_taxes` (current API) or `total_tax_amounts` (before 2025-03-31.basil)."""
    rate = tax.get("tax_rate") or (tax.get("tax_rate_details") or {}).get("tax_rate")
    rate = rate if isinstance(rate, Mapping) else {}  # only an expanded rate has a name and percent
    percent = rate.get("percentage")
    return TaxLineRecord(
        name=rate.get("display_name"), rate_percent=None if percent is None else str(percent),
        amount=stripe_to_minor(tax.get("amount"), currency), jurisdiction=rate.get("jurisdiction"),
        reverse_charge=tax.get("taxability_reason") == "reverse_charge",
    )


def _invoice_line(line: StripeDict, currency: str | None) -> InvoiceLineRecord:
    return InvoiceLineRecord(
        description=line.get("description"), amount=stripe_to_minor(line.get("amount"), currency),
        quantity=whole_number(line.get("quantity") or 1, "quantity"), external_id=line.get("id"),
    )


def _invoice_subscription(invoice: StripeDict) -> str | None:
    """Top-level `subscription` before basil; `parent.subscription_details.subscription` since."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return _id(invoice.get("subscription")) or _id(details.get("subscription"))


def _invoice_charge(invoice: StripeDict) -> str | None:
    """Top-level `charge` before basil; since then the charge of an invoice payment, if listed."""
    if invoice.get("charge"):
        return _id(invoice["charge"])
    payments = (invoice.get("payments") or {}).get("data") or []
    charges = [_id((p.get("payment") or {}).get("charge")) for p in payments]
    return next((charge for charge in charges if charge), None)


def map_invoice(invoice: StripeDict) -> InvoiceRecord:
    """A Stripe invoice with its lines and tax lines; tax = sum of the invoice's tax amounts."""
    currency = _currency(invoice.get("currency"))
    taxes = invoice.get("total_taxes") or invoice.get("total_tax_amounts") or []
    tax_lines = tuple(_tax_line(tax, currency) for tax in taxes)
    lines = (invoice.get("lines") or {}).get("data") or []
    tax = invoice.get("tax")  # present before 2025-03-31.basil

    def minor(field: str) -> int:
        return stripe_to_minor(invoice.get(field), currency, field)

    return InvoiceRecord(
        external_id=invoice["id"], customer_external_id=_id(invoice.get("customer")),
        status=map_status(INVOICE_STATUSES, invoice.get("status"), InvoiceStatus.UNKNOWN),
        raw_status=str(invoice.get("status")), currency=currency, number=invoice.get("number"),
        subtotal=minor("subtotal"), total=minor("total"), amount_due=minor("amount_due"),
        amount_paid=minor("amount_paid"), due_at=_when(invoice.get("due_date")),
        tax=minor("tax") if tax is not None else sum(line.amount for line in tax_lines),
        created_at=_when(invoice.get("created")), hosted_url=invoice.get("hosted_invoice_url"),
        subscription_external_id=_invoice_subscription(invoice),
        charge_external_id=_invoice_charge(invoice),
        lines=tuple(_invoice_line(line, currency) for line in lines), tax_lines=tax_lines,
    )


def map_tax_id(tax_id: StripeDict) -> TaxIdRecord:
    """A customer's tax id (txi_); the owner may be given as `customer` or `owner.customer`."""
    customer = tax_id.get("customer") or (tax_id.get("owner") or {}).get("customer")
    return TaxIdRecord(
        external_id=tax_id["id"], customer_external_id=_id(customer), type=tax_id.get("type"),
        value=tax_id.get("value"), country=tax_id.get("country"),
        verification_status=(tax_id.get("verification") or {}).get("status"),
        created_at=_when(tax_id.get("created")),
    )


def map_dispute(dispute: StripeDict) -> DisputeRecord:
    """A Stripe dispute (dp_), including inquiries (warning_* statuses)."""
    currency = _currency(dispute.get("currency"))
    return DisputeRecord(
        external_id=dispute["id"], charge_external_id=_id(dispute.get("charge")),
        amount=stripe_to_minor(dispute.get("amount"), currency), currency=currency,
        status=map_status(DISPUTE_STATUSES, dispute.get("status"), DisputeStatus.UNKNOWN),
        raw_status=str(dispute.get("status")), reason=dispute.get("reason"),
        evidence_due_by=_when((dispute.get("evidence_details") or {}).get("due_by")),
        created_at=_when(dispute.get("created")),
    )


MAPPERS: dict[ObjectKind, Callable[[StripeDict], BillingRecord]] = {
    ObjectKind.CUSTOMER: map_customer,
    ObjectKind.CHARGE: map_charge,
    ObjectKind.REFUND: map_refund,
    ObjectKind.SUBSCRIPTION: map_subscription,
    ObjectKind.INVOICE: map_invoice,
    ObjectKind.TAX_ID: map_tax_id,
    ObjectKind.DISPUTE: map_dispute,
}

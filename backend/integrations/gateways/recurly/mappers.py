"""Recurly resources (as the SDK returns them) -> our records. Explicit status tables.

Recurly JSON carries money as decimal numbers in major units and the SDK casts them to float;
we go float -> str -> Decimal -> integer minor units (`backend.money.to_minor`), which is exact
because a float's repr is the shortest decimal that round-trips. No float arithmetic happens.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from backend.money import MoneyError, to_major, to_minor

from ..errors import GatewayRejected
from ..records import (ChargeRecord, ChargeStatus, CustomerRecord, InvoiceLineRecord,
                       InvoiceRecord, InvoiceStatus, RefundRecord, RefundStatus,
                       SubscriptionRecord, SubscriptionStatus, TaxIdRecord, TaxLineRecord,
                       map_status)

PAYMENT_TYPES = ("purchase", "capture")
REFUND_MARKER = "chargedesk-ref:"

CHARGE_STATUS = {
    "success": ChargeStatus.SUCCEEDED, "pending": ChargeStatus.PENDING,
    "processing": ChargeStatus.PENDING, "scheduled": ChargeStatus.PENDING,
    "declined": ChargeStatus.FAILED, "error": ChargeStatus.FAILED,
    "void": ChargeStatus.CANCELED,
    # "chargeback" is deliberately absent: the money came back, it is not a plain success.
}
REFUND_STATUS = {
    "success": RefundStatus.SUCCEEDED, "pending": RefundStatus.PENDING,
    "processing": RefundStatus.PENDING, "scheduled": RefundStatus.PENDING,
    "declined": RefundStatus.FAILED, "error": RefundStatus.FAILED,
    "void": RefundStatus.CANCELED,
}
# Recurly's "canceled" means "will not renew, still served until current_period_ends_at".
SUBSCRIPTION_STATUS = {
    "active": SubscriptionStatus.ACTIVE, "canceled": SubscriptionStatus.ACTIVE,
    "expired": SubscriptionStatus.EXPIRED, "paused": SubscriptionStatus.PAUSED,
    "failed": SubscriptionStatus.INCOMPLETE,
    # "future" (starts later) has no equivalent and stays UNKNOWN.
}
INVOICE_STATUS = {
    "pending": InvoiceStatus.OPEN, "processing": InvoiceStatus.OPEN,
    "past_due": InvoiceStatus.OPEN, "open": InvoiceStatus.OPEN, "paid": InvoiceStatus.PAID,
    "closed": InvoiceStatus.PAID, "failed": InvoiceStatus.UNCOLLECTIBLE,
    "voided": InvoiceStatus.VOID,
}
_EU_VAT_PREFIXES = frozenset(
    "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI".split())
_OTHER_VAT_TYPES = {"GB": "gb_vat", "CH": "ch_vat", "NO": "no_vat"}


# --- money and time -----------------------------------------------------------------------------
def minor(value, currency: str) -> int:
    """A Recurly amount (float/int/None from the SDK) in integer minor units, exactly."""
    if value is None:
        return 0
    return to_minor(Decimal(str(value)), currency)


def wire_amount(amount_minor: int, currency: str) -> float:
    """Our minor units as the JSON number Recurly expects.

    The SDK serialises request bodies with json.dumps, which cannot write a Decimal; a float
    made from a decimal with <= 15 significant digits prints back as exactly those digits.
    We check that, so a value that would not survive is refused instead of rounded.
    """
    exact = to_major(amount_minor, currency)
    as_float = float(exact)
    if Decimal(repr(as_float)) != exact:
        raise MoneyError(f"{exact} {currency} cannot be sent to Recurly exactly")
    return as_float


def utc(moment: datetime | None) -> datetime | None:
    """SDK datetimes are aware (parsed with %z); normalise to UTC, assume UTC if naive."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(
        tzinfo=timezone.utc)


def _get(resource, name: str):
    """A field of an SDK resource; one the API left out of the JSON reads as None."""
    return getattr(resource, name, None)


def _account_id(resource) -> str | None:
    return _get(_get(resource, "account"), "id")


# --- records ------------------------------------------------------------------------------------
def customer(account, *, coupon_codes: tuple[str, ...] = ()) -> CustomerRecord:
    first, last = _get(account, "first_name"), _get(account, "last_name")
    name = " ".join(p for p in (first, last) if p) or _get(account, "company")
    emails = [account.email] if _get(account, "email") else []
    emails += [e.strip() for e in (_get(account, "cc_emails") or "").split(",") if e.strip()]
    metadata = {"code": account.code, "state": _get(account, "state")}
    if coupon_codes:
        metadata["coupon_codes"] = list(coupon_codes)
    return CustomerRecord(external_id=account.id, email=_get(account, "email"), name=name or None,
                          emails=tuple(dict.fromkeys(emails)),
                          created_at=utc(_get(account, "created_at")),
                          metadata=metadata)


def charge(txn, *, refunded_minor: int = 0) -> ChargeRecord:
    """A purchase/capture (or authorization) transaction; refunds are summed by the caller."""
    amount = minor(txn.amount, txn.currency)
    status = map_status(CHARGE_STATUS, txn.status, ChargeStatus.UNKNOWN)
    authorized = txn.type == "authorization" and status is ChargeStatus.SUCCEEDED
    if authorized:
        status = ChargeStatus.AUTHORIZED
    card = _get(txn, "payment_method")
    return ChargeRecord(
        external_id=txn.id, customer_external_id=_account_id(txn), amount=amount,
        currency=txn.currency, status=status, raw_status=txn.status or "",
        amount_captured=amount if status is ChargeStatus.SUCCEEDED else 0,
        amount_refunded=refunded_minor, amount_capturable=amount if authorized else 0,
        card_brand=_get(card, "card_type"), card_last4=_get(card, "last_four"),
        description=_get(txn, "description"),
        failure_message=_get(txn, "status_message") if status is ChargeStatus.FAILED else None,
        invoice_external_id=_get(_get(txn, "invoice"), "id"),
        created_at=utc(_get(txn, "created_at")))


def refund(txn, *, reason: str | None = None) -> RefundRecord:
    """A `type=refund` transaction; `original_transaction_id` is the refunded charge."""
    return RefundRecord(
        external_id=txn.id, charge_external_id=_get(txn, "original_transaction_id"),
        amount=minor(txn.amount, txn.currency), currency=txn.currency,
        status=map_status(REFUND_STATUS, txn.status, RefundStatus.UNKNOWN),
        raw_status=txn.status or "", reason=reason, created_at=utc(_get(txn, "created_at")),
        metadata={"credit_invoice_id": _get(_get(txn, "invoice"), "id")})


def refund_from_credit_invoice(credit, charge_id: str, *, reason: str | None = None):
    """The refund a credit invoice records: its refund transaction, else credit to the account."""
    txns = [t for t in _get(credit, "transactions") or [] if t.type == "refund"]
    match = next((t for t in txns if _get(t, "original_transaction_id") == charge_id), None)
    if match is not None or txns:
        return refund(match or txns[0], reason=reason)
    return RefundRecord(  # refunded as account credit only (refund_method=all_credit)
        external_id=credit.id, charge_external_id=charge_id,
        amount=-minor(credit.total, credit.currency), currency=credit.currency,
        status=RefundStatus.SUCCEEDED, raw_status=f"credit_invoice_{credit.state}",
        reason=reason, created_at=utc(_get(credit, "created_at")),
        metadata={"credit_invoice_id": credit.id, "refunded_as": "account_credit"})


def refund_marker(idempotency_key: str) -> str:
    """What we write into the credit invoice's customer_notes so reconcile() can find it."""
    return f"{REFUND_MARKER}{idempotency_key}"



def check_refundable(txn, amount: int | None, currency: str) -> None:
    """Refuse locally what Recurly would refuse, with a message an agent understands."""
    if txn.type not in PAYMENT_TYPES or txn.status != "success":
        raise GatewayRejected(f"transaction {txn.id} is a {txn.status} {txn.type}, not a "
                              "successful payment", code="not_refundable")
    if currency.upper() != txn.currency:
        raise GatewayRejected(f"payment is in {txn.currency}, refund asked in {currency}",
                              code="currency_mismatch")
    if amount is not None and amount <= 0:
        raise GatewayRejected("refund amount must be positive", code="invalid_amount")
    if _get(txn, "invoice") is None:
        raise GatewayRejected(f"transaction {txn.id} has no invoice to refund",
                              code="not_refundable")


def subscription(sub, *, now: datetime) -> SubscriptionRecord:
    status = map_status(SUBSCRIPTION_STATUS, sub.state, SubscriptionStatus.UNKNOWN)
    trial_end = utc(_get(sub, "trial_ends_at"))
    if status is SubscriptionStatus.ACTIVE and trial_end and trial_end > now:
        status = SubscriptionStatus.TRIALING
    codes = tuple(r.coupon.code for r in _get(sub, "coupon_redemptions") or []
                  if _get(r, "coupon") is not None and _get(r, "state") == "active")
    plan = _get(sub, "plan")
    return SubscriptionRecord(
        external_id=sub.id, customer_external_id=_account_id(sub), status=status,
        raw_status=sub.state or "", plan_name=_get(plan, "name"),
        price_external_id=_get(plan, "code"),
        amount=minor(_get(sub, "unit_amount"), sub.currency) if sub.currency else None,
        currency=sub.currency, quantity=_get(sub, "quantity") or 1,
        current_period_end=utc(_get(sub, "current_period_ends_at")),
        cancel_at_period_end=sub.state == "canceled", canceled_at=utc(_get(sub, "canceled_at")),
        trial_end=trial_end, discount_codes=codes, created_at=utc(_get(sub, "created_at")))


def invoice(inv, *, line_items=None) -> InvoiceRecord:
    """An invoice with its lines (pre-tax subtotal each) and tax lines from tax_info."""
    currency = inv.currency
    lines = line_items if line_items is not None else _get(inv, "line_items") or []
    paid_txn = next((t for t in _get(inv, "transactions") or []
                     if t.type in PAYMENT_TYPES and t.status == "success"), None)
    return InvoiceRecord(
        external_id=inv.id, customer_external_id=_account_id(inv),
        status=map_status(INVOICE_STATUS, inv.state, InvoiceStatus.UNKNOWN),
        raw_status=inv.state or "", currency=currency, number=_get(inv, "number"),
        subtotal=minor(_get(inv, "subtotal"), currency), tax=minor(_get(inv, "tax"), currency),
        total=minor(_get(inv, "total"), currency),
        amount_due=minor(_get(inv, "balance"), currency),
        amount_paid=minor(_get(inv, "paid"), currency), due_at=utc(_get(inv, "due_at")),
        created_at=utc(_get(inv, "created_at")),
        subscription_external_id=(_get(inv, "subscription_ids") or [None])[0],
        charge_external_id=_get(paid_txn, "id"),
        lines=tuple(InvoiceLineRecord(description=_get(li, "description"),
                                      amount=minor(_get(li, "subtotal"), currency),
                                      quantity=_get(li, "quantity") or 1, external_id=li.id)
                    for li in lines),
        tax_lines=_tax_lines(inv))


def _tax_lines(inv) -> tuple[TaxLineRecord, ...]:
    info = _get(inv, "tax_info")
    if info is None:
        return ()
    tax = minor(_get(inv, "tax"), inv.currency)
    reverse = bool(_get(inv, "vat_reverse_charge_notes")) and tax == 0
    details = _get(info, "tax_details") or []
    if not details:
        return (TaxLineRecord(name=(_get(info, "type") or "tax").upper(),
                              rate_percent=_percent(_get(info, "rate")), amount=tax,
                              jurisdiction=_get(info, "region"), reverse_charge=reverse),)
    return tuple(TaxLineRecord(name=_get(d, "name") or (_get(d, "type") or "tax").upper(),
                               rate_percent=_percent(_get(d, "rate")),
                               amount=minor(_get(d, "tax"), inv.currency),
                               jurisdiction=_get(d, "region"), reverse_charge=reverse)
                 for d in details)


def _percent(rate) -> str | None:
    """Recurly rates are fractions (0.19); ours are percent strings ("19")."""
    if rate is None:
        return None
    return format((Decimal(str(rate)) * 100).normalize(), "f")


def tax_ids(account) -> tuple[TaxIdRecord, ...]:
    """Recurly keeps one VAT number on the account and one on its billing info."""
    country = _get(_get(account, "address"), "country")
    found = []
    for source, value in (("account", _get(account, "vat_number")),
                          ("billing_info", _get(_get(account, "billing_info"), "vat_number"))):
        if value and value not in (r.value for r in found):
            found.append(TaxIdRecord(
                external_id=f"{account.id}:{source}_vat", customer_external_id=account.id,
                type=vat_type(value, country), value=value, country=_vat_country(value, country),
                created_at=utc(_get(account, "created_at"))))
    return tuple(found)


def vat_type(value: str, country: str | None) -> str:
    """Our (Stripe-style) tax-id type for a VAT number: eu_vat, gb_vat, ch_vat, no_vat …"""
    prefix = _vat_country(value, country)
    if prefix in _EU_VAT_PREFIXES:
        return "eu_vat"
    return _OTHER_VAT_TYPES.get(prefix or "", "unknown")


def _vat_country(value: str, country: str | None) -> str | None:
    head = value[:2].upper()
    return head if head.isalpha() else (country.upper() if country else None)

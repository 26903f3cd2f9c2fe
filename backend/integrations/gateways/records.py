"""Frozen records that cross the gateway boundary: vendor objects mapped to our vocabulary.

Amounts are integer minor units of `currency` (upper-case ISO code). Timestamps are aware UTC
datetimes. `raw_status` keeps the vendor's word so support can see what the gateway said.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Union


class ObjectKind(StrEnum):
    CUSTOMER = "customer"
    CHARGE = "charge"
    REFUND = "refund"
    SUBSCRIPTION = "subscription"
    INVOICE = "invoice"
    TAX_ID = "tax_id"
    DISPUTE = "dispute"


class ChargeStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"  # funds held, capture or void possible
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"  # authorization voided / expired
    UNKNOWN = "unknown"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"


class SubscriptionStatus(StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    PAUSED = "paused"
    INCOMPLETE = "incomplete"
    CANCELED = "canceled"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"
    UNKNOWN = "unknown"


class DisputeStatus(StrEnum):
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    UNKNOWN = "unknown"


def map_status(table: dict[str, StrEnum], raw: str | None, unknown: StrEnum) -> StrEnum:
    """Look a vendor status up in an explicit table; anything unlisted is UNKNOWN, never success."""
    if raw is None:
        return unknown
    return table.get(str(raw), unknown)


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    email: str | None
    name: str | None = None
    emails: tuple[str, ...] = ()  # every address the gateway knows for this customer
    created_at: datetime | None = None
    currency: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeRecord:
    """A payment: Stripe PaymentIntent/charge, Braintree sale, Recurly transaction, PayPal capture."""

    external_id: str
    customer_external_id: str | None
    amount: int
    currency: str
    status: ChargeStatus
    raw_status: str
    amount_captured: int = 0
    amount_refunded: int = 0  # given back out of amount_captured (never a released hold)
    amount_capturable: int = 0  # authorized and not yet captured
    card_brand: str | None = None
    card_last4: str | None = None
    description: str | None = None
    failure_message: str | None = None
    invoice_external_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class RefundRecord:
    external_id: str
    charge_external_id: str | None
    amount: int
    currency: str
    status: RefundStatus
    raw_status: str
    reason: str | None = None
    created_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriptionRecord:
    external_id: str
    customer_external_id: str | None
    status: SubscriptionStatus
    raw_status: str
    plan_name: str | None = None
    price_external_id: str | None = None
    amount: int | None = None  # per interval, per unit
    currency: str | None = None
    interval: str | None = None  # day/week/month/year
    quantity: int = 1
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    trial_end: datetime | None = None
    discount_codes: tuple[str, ...] = ()
    created_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceLineRecord:
    description: str | None
    amount: int
    quantity: int = 1
    external_id: str | None = None


@dataclass(frozen=True)
class TaxLineRecord:
    name: str | None  # e.g. "VAT"
    rate_percent: str | None  # decimal string, "20.0"
    amount: int
    jurisdiction: str | None = None
    reverse_charge: bool = False


@dataclass(frozen=True)
class InvoiceRecord:
    external_id: str
    customer_external_id: str | None
    status: InvoiceStatus
    raw_status: str
    currency: str
    number: str | None = None
    subtotal: int = 0
    tax: int = 0
    total: int = 0
    amount_due: int = 0
    amount_paid: int = 0
    due_at: datetime | None = None
    created_at: datetime | None = None
    hosted_url: str | None = None
    subscription_external_id: str | None = None
    charge_external_id: str | None = None
    lines: tuple[InvoiceLineRecord, ...] = ()
    tax_lines: tuple[TaxLineRecord, ...] = ()


@dataclass(frozen=True)
class TaxIdRecord:
    external_id: str
    customer_external_id: str | None
    type: str  # our vocabulary follows Stripe's: eu_vat, gb_vat, au_abn ...
    value: str
    country: str | None = None
    verification_status: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class DisputeRecord:
    external_id: str
    charge_external_id: str | None
    amount: int
    currency: str
    status: DisputeStatus
    raw_status: str
    reason: str | None = None
    evidence_due_by: datetime | None = None
    created_at: datetime | None = None


BillingRecord = Union[
    CustomerRecord, ChargeRecord, RefundRecord, SubscriptionRecord,
    InvoiceRecord, TaxIdRecord, DisputeRecord,
]


@dataclass(frozen=True)
class Page:
    """One page of a listing. `next_cursor` None means the listing is complete."""

    items: tuple[BillingRecord, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class GatewayEvent:
    """A verified webhook, parsed. `records` are the objects it carries, mapped; may be empty."""

    event_id: str
    type: str
    created_at: datetime | None
    records: tuple[BillingRecord, ...] = ()
    deleted: tuple[tuple[ObjectKind, str], ...] = ()  # objects the event removes
    known: bool = True  # False for event types we record and ignore
    refetch: tuple[tuple[ObjectKind, str], ...] = ()  # thin events: objects to fetch() and upsert


@dataclass(frozen=True)
class RefundResult:
    refund: RefundRecord
    charge: ChargeRecord | None  # the charge after the refund, when the gateway returns it

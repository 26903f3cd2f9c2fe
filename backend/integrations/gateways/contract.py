"""The GatewayAdapter protocol every payment gateway implements, and its capability vocabulary.

Designed against Stripe, Braintree, Recurly, PayPal, WooCommerce and a custom gateway: each
operation is phrased in our terms (charges, refunds, subscriptions ...) and each adapter declares
what it can do, so the product never calls what a gateway lacks and the sidebar greys it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Mapping, Protocol, runtime_checkable

from .records import (
    BillingRecord, ChargeRecord, CustomerRecord, GatewayEvent, InvoiceLineRecord,
    InvoiceRecord, ObjectKind, Page, RefundResult, SubscriptionRecord, TaxIdRecord,
)


class Capability(StrEnum):
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    CAPTURE = "capture"
    PARTIAL_CAPTURE = "partial_capture"
    VOID = "void"
    CANCEL_NOW = "cancel_now"
    CANCEL_AT_PERIOD_END = "cancel_at_period_end"
    CANCEL_PRORATE = "cancel_prorate"
    CREATE_SUBSCRIPTION = "create_subscription"
    SUBSCRIPTION_TRIAL = "subscription_trial"
    CREATE_INVOICE = "create_invoice"
    SEND_INVOICE = "send_invoice"
    COUPON_ON_SUBSCRIPTION = "coupon_on_subscription"
    COUPON_ON_CUSTOMER = "coupon_on_customer"
    TAX_IDS = "tax_ids"
    WEBHOOKS = "webhooks"


class Operation(StrEnum):
    """Money- or state-changing calls; used to reconcile a run whose outcome is unknown."""

    REFUND = "refund"
    CAPTURE = "capture"
    VOID = "void"
    CANCEL_SUBSCRIPTION = "cancel_subscription"
    CREATE_SUBSCRIPTION = "create_subscription"
    CREATE_INVOICE = "create_invoice"
    SEND_INVOICE = "send_invoice"
    APPLY_COUPON = "apply_coupon"
    ADD_TAX_ID = "add_tax_id"


@dataclass(frozen=True)
class GatewayConfig:
    """What an adapter needs to talk to one connected gateway account (secrets already decrypted)."""

    connection_id: str
    credentials: Mapping[str, str]
    api_base: str | None = None  # loopback sandbox or a regional host; None = the vendor's
    webhook_secrets: tuple[str, ...] = ()  # several during secret rotation
    settings: Mapping[str, Any] = field(default_factory=dict)
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class ConnectOption:
    """A credential the `chargedesk connect <gateway>` command asks for."""

    name: str  # key in GatewayConfig.credentials, also the CLI flag (--api-key for api_key)
    help: str
    secret: bool = True
    required: bool = True


@runtime_checkable
class GatewayAdapter(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    syncable_kinds: ClassVar[tuple[ObjectKind, ...]]  # in the order a backfill should walk them
    connect_options: ClassVar[tuple[ConnectOption, ...]]
    webhook_secret_required: ClassVar[bool]

    def __init__(self, config: GatewayConfig) -> None: ...

    # --- reading -----------------------------------------------------------------------------
    def list_page(self, kind: ObjectKind, *, cursor: str | None, limit: int = 100) -> Page:
        """One page of `kind`; pass the returned cursor back to continue (resumable)."""

    def fetch(self, kind: ObjectKind, external_id: str) -> BillingRecord:
        """The current state of one object (GatewayNotFound if absent)."""

    # --- one-click operations; each takes the caller's idempotency key -----------------------
    def refund(self, *, charge_id: str, amount: int | None, currency: str,
               reason: str | None, note: str | None, idempotency_key: str) -> RefundResult: ...

    def capture(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> ChargeRecord: ...

    def void(self, *, charge_id: str, idempotency_key: str) -> ChargeRecord: ...

    def cancel_subscription(self, *, subscription_id: str, at_period_end: bool, prorate: bool,
                            idempotency_key: str, reason: str | None = None) -> SubscriptionRecord:
        """`reason` is the agent's words, for gateways that record why (PayPal requires one)."""

    def create_subscription(self, *, customer_id: str, price_id: str, quantity: int,
                            trial_days: int | None, coupon: str | None,
                            idempotency_key: str) -> SubscriptionRecord: ...

    def create_invoice(self, *, customer_id: str, currency: str,
                       lines: tuple[InvoiceLineRecord, ...], days_until_due: int,
                       idempotency_key: str) -> InvoiceRecord:
        """A draft invoice with the given lines (send it with send_invoice)."""

    def send_invoice(self, *, invoice_id: str, idempotency_key: str) -> InvoiceRecord:
        """Finalize a draft if needed and email it to the customer through the gateway."""

    def apply_coupon(self, *, target_kind: ObjectKind, target_id: str, code: str,
                     idempotency_key: str) -> SubscriptionRecord | CustomerRecord: ...

    def add_tax_id(self, *, customer_id: str, type: str, value: str,
                   idempotency_key: str) -> TaxIdRecord: ...

    def reconcile(self, *, operation: Operation, target_id: str,
                  idempotency_key: str) -> BillingRecord | None:
        """If `operation` with this key already took effect at the gateway, its result; else None.

        Used when a worker died mid-call: we must learn what happened before trying again.
        """

    # --- webhooks ----------------------------------------------------------------------------
    def hydrate_event(self, event: GatewayEvent) -> tuple[BillingRecord, ...]:
        """Fetch what a thin event only names (`event.refetch`); runs in the processing job.

        Missing objects are skipped (the next sync catches up); other errors propagate.
        """

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes, verify: bool = True) -> GatewayEvent:
        """Verify the vendor's signature over the raw body and map the event. No network I/O.

        Raises WebhookVerificationError when the signature is missing, wrong or stale.
        `verify=False` only for bodies we stored after verifying them (the processing job,
        which may run after the timestamp tolerance has passed).
        """


def fetch_refetched(adapter: GatewayAdapter, event: GatewayEvent) -> tuple[BillingRecord, ...]:
    """The usual hydrate_event: fetch() every object the event names, skipping vanished ones."""
    from .errors import GatewayNotFound

    records = []
    for kind, external_id in event.refetch:
        try:
            records.append(adapter.fetch(kind, external_id))
        except GatewayNotFound:
            continue
    return tuple(records)

"""Braintree webhooks: form fields bt_signature + bt_payload, verified and parsed by the SDK.

The signature is HMAC-SHA1 keyed with the API private key over bt_payload; it signs no
timestamp, so there is no replay window to check. Replays are harmless because events are
deduplicated by id, and Braintree sends none, so the id is the SHA-256 of bt_payload.

Parsing does no network I/O. What a payload cannot say on its own is left to `refetch`:
a sale's refunded total (it lists refund_ids, not amounts) and a subscription's customer,
plan name and currency (it carries only a payment method token and a plan id). Subscriptions
still come with a record mapped from the payload; the refetched one supersedes it.
"""
from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs

from ..errors import WebhookVerificationError
from ..records import BillingRecord, GatewayEvent, ObjectKind
from . import mappers
from .client import BraintreeClient

TRANSACTION_KINDS = frozenset({"transaction_settled", "transaction_settlement_declined",
                               "transaction_disbursed"})
# Braintree's sample notifications omit the subscription's status; the kind implies it.
STATUS_BY_KIND = {"subscription_canceled": "Canceled", "subscription_expired": "Expired",
                  "subscription_went_past_due": "Past Due",
                  "subscription_went_active": "Active",
                  "subscription_charged_successfully": "Active",
                  "subscription_trial_ended": "Active"}
Mapped = tuple[tuple[BillingRecord, ...], tuple[tuple[ObjectKind, str], ...]]


def form_fields(body: bytes) -> tuple[str, str]:
    """bt_signature and bt_payload from the urlencoded body, or WebhookVerificationError."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise WebhookVerificationError("Braintree webhook body is not form data") from None
    signature = (fields.get("bt_signature") or [""])[0]
    payload = (fields.get("bt_payload") or [""])[0]
    if not signature or not payload:
        raise WebhookVerificationError("Braintree webhook lacks bt_signature or bt_payload")
    return signature, payload


def event_id(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# What an odd notification raises while the SDK builds it or we map it ("x" as an amount, a
# date that is none): the delivery is refused with the reason, never half-read.
UNREADABLE = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def parse_webhook(client: BraintreeClient, body: bytes, *, verify: bool = True) -> GatewayEvent:
    """Verify (unless stored after verifying), parse and map one delivery."""
    signature, payload = form_fields(body)
    try:
        return _parsed(client, signature, payload, verify)
    except UNREADABLE as exc:
        raise WebhookVerificationError(f"Braintree notification cannot be read: {_reason(exc)}",
                                       code="malformed_body") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ArithmeticError):  # decimal's own messages name a class, not the value
        return "a number in it is not a number"
    text = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) and exc.args else str(exc)
    return (text or exc.__class__.__name__)[:300]


def _parsed(client: BraintreeClient, signature: str, payload: str, verify: bool) -> GatewayEvent:
    notification = client.parse_notification(signature, payload, verify=verify)
    kind = str(getattr(notification, "kind", "") or "")
    mapped = _map(kind, notification)
    records, refetch = mapped or ((), ())
    return GatewayEvent(event_id=event_id(payload), type=kind,
                        created_at=mappers.utc(getattr(notification, "timestamp", None)),
                        records=records, refetch=refetch, known=mapped is not None)


def _map(kind: str, notification: Any) -> Mapped | None:
    """Records and objects to refetch for an event; None for kinds we record and ignore."""
    if kind.startswith("subscription_") and hasattr(notification, "subscription"):
        return _subscription(kind, notification.subscription)
    if kind in TRANSACTION_KINDS and hasattr(notification, "transaction"):
        return _transaction(notification.transaction)
    if kind.startswith("dispute_") and hasattr(notification, "dispute"):
        return (mappers.dispute_record(notification.dispute),), ()
    return None


def _subscription(kind: str, sub: Any) -> Mapped:
    """From the payload, with customer and currency taken from its latest charge if any."""
    charges = getattr(sub, "transactions", None) or []
    latest = charges[0] if charges else None
    record = mappers.subscription_record(
        sub, raw_status=STATUS_BY_KIND.get(kind),
        customer_id=getattr(getattr(latest, "customer_details", None), "id", None),
        currency=getattr(latest, "currency_iso_code", None))
    return (record,), ((ObjectKind.SUBSCRIPTION, sub.id),)


def _transaction(tx: Any) -> Mapped:
    """A credit is a refund. A sale with refunds is refetched to learn its refunded total."""
    if getattr(tx, "type", None) == "credit":
        return (mappers.refund_record(tx),), ()
    if getattr(tx, "refund_ids", None):
        return (), ((ObjectKind.CHARGE, tx.id),)
    return (mappers.charge_record(tx, refunded=0),), ()

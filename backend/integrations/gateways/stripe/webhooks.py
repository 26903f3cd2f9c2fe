"""Stripe webhooks: verify `Stripe-Signature` over the raw body, then map the event's object.

Verification uses the SDK (through client.py) with a 300 s tolerance and tries every configured
secret, so a secret can be rotated without dropping events (a header carrying several `v1`
signatures is handled by the SDK). Parsing goes through EVENT_HANDLERS: an exact event type
wins, else the nearest wildcard ("charge.dispute.*" before "charge.*"); unlisted types come back
as GatewayEvent(known=False) so they are stored and ignored.

payment_intent.* events carry no record unless the PaymentIntent's `latest_charge` is expanded:
Stripe sends a charge.* event alongside every PaymentIntent change that moves money (succeeded,
captured, refunded, expired), and that event carries the charge we mirror.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from ..errors import WebhookVerificationError
from ..records import BillingRecord, GatewayEvent, ObjectKind
from . import mappers
from .client import WEBHOOK_TOLERANCE_SECONDS, verify_stripe_signature

SIGNATURE_HEADER = "Stripe-Signature"

# A handler turns the event's data.object into (records, deleted objects).
Handler = Callable[[Mapping[str, Any]], tuple[tuple[BillingRecord, ...], tuple[tuple[ObjectKind, str], ...]]]


def _records(mapper: Callable[[Mapping[str, Any]], BillingRecord]) -> Handler:
    return lambda obj: ((mapper(obj),), ())


def _deleted(kind: ObjectKind) -> Handler:
    return lambda obj: ((), ((kind, obj["id"]),))


def _payment_intent(intent: Mapping[str, Any]):
    """Only an expanded latest_charge is mapped; otherwise the matching charge.* event carries it."""
    charge = intent.get("latest_charge")
    return ((mappers.map_charge(charge),) if isinstance(charge, Mapping) else ()), ()


EVENT_HANDLERS: dict[str, Handler] = {
    "charge.*": _records(mappers.map_charge),
    "charge.refund.updated": _records(mappers.map_refund),
    "charge.dispute.*": _records(mappers.map_dispute),
    "refund.*": _records(mappers.map_refund),
    "payment_intent.*": _payment_intent,
    "customer.created": _records(mappers.map_customer),
    "customer.updated": _records(mappers.map_customer),
    "customer.deleted": _deleted(ObjectKind.CUSTOMER),
    # customer.subscription.deleted is the cancellation: the subscription lives on as canceled.
    "customer.subscription.*": _records(mappers.map_subscription),
    "customer.tax_id.*": _records(mappers.map_tax_id),
    "customer.tax_id.deleted": _deleted(ObjectKind.TAX_ID),
    "invoice.*": _records(mappers.map_invoice),
    "invoice.deleted": _deleted(ObjectKind.INVOICE),  # only drafts can be deleted
}


def handler_for(event_type: str) -> Handler | None:
    """The exact entry for `event_type`, else the nearest enclosing wildcard, else None."""
    if event_type in EVENT_HANDLERS:
        return EVENT_HANDLERS[event_type]
    parts = event_type.split(".")
    for size in range(len(parts) - 1, 0, -1):
        handler = EVENT_HANDLERS.get(".".join(parts[:size]) + ".*")
        if handler is not None:
            return handler
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup: one step for werkzeug Headers, a scan for plain dicts."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def verify_signature(*, headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...],
                     tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> None:
    """Accept the body if any configured secret signed it recently; else say precisely why not."""
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header", code="missing_header")
    usable = [secret for secret in secrets if secret and secret.strip()]
    if not usable:
        raise WebhookVerificationError("no Stripe webhook secret is configured for this connection",
                                       code="no_secret")
    failures: list[WebhookVerificationError] = []
    for secret in usable:
        try:
            verify_stripe_signature(payload=body, header=header, secret=secret, tolerance=tolerance)
        except WebhookVerificationError as exc:
            failures.append(exc)
        else:
            return
    raise _most_telling(failures)


def _most_telling(failures: list[WebhookVerificationError]) -> WebhookVerificationError:
    """A stale-but-correct signature says more than "no match" for the other secrets."""
    stale = [exc for exc in failures if exc.code == "timestamp_outside_tolerance"]
    chosen = (stale or failures)[0]
    if chosen.code == "no_matching_signature":
        return WebhookVerificationError(
            f"no signature in {SIGNATURE_HEADER} matches any configured secret "
            f"({len(failures)} tried)", code=chosen.code)
    return chosen


def _decode_event(body: bytes) -> Mapping[str, Any]:
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookVerificationError("webhook body is not JSON", code="malformed_body") from None
    if not isinstance(event, dict) or event.get("object") != "event" or not event.get("id"):
        raise WebhookVerificationError("webhook body is not a Stripe event", code="malformed_body")
    if not isinstance(event["id"], str) or not isinstance(event.get("type") or "", str):
        raise WebhookVerificationError("Stripe event id and type must be strings", code="malformed_body")
    return event


# What a malformed object raises while it is mapped (a missing id, "x" as an amount, a list
# where an object belongs ...): the event is refused with the reason, never half-read.
UNREADABLE = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


def unreadable(event_id: str, event_type: str, exc: Exception) -> WebhookVerificationError:
    reason = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) and exc.args else str(exc)
    return WebhookVerificationError(
        f"Stripe event {mappers.shown(event_id)} ({event_type[:100]}) cannot be read: "
        f"{reason or exc.__class__.__name__}"[:400], code="malformed_body")


def parse_event(body: bytes) -> GatewayEvent:
    """Map an already verified Stripe event body to a GatewayEvent."""
    event = _decode_event(body)
    event_id, event_type = event["id"], event.get("type") or ""
    try:
        return _mapped(event, event_id, event_type)
    except UNREADABLE as exc:
        raise unreadable(event_id, event_type, exc) from None


def _mapped(event: Mapping[str, Any], event_id: str, event_type: str) -> GatewayEvent:
    created_at = mappers.timestamp(event.get("created"), "created")
    handler = handler_for(event_type)
    if handler is None:
        return GatewayEvent(event_id=event_id, type=event_type, created_at=created_at, known=False)
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict) or not obj.get("id"):
        raise WebhookVerificationError(f"{event_type} event has no data.object", code="malformed_body")
    records, deleted = handler(obj)
    return GatewayEvent(event_id=event_id, type=event_type, created_at=created_at,
                        records=records, deleted=deleted)


def parse_webhook(*, headers: Mapping[str, str], body: bytes,
                  secrets: tuple[str, ...]) -> GatewayEvent:
    """Verify, then parse; what StripeAdapter.parse_webhook delegates to."""
    verify_signature(headers=headers, body=body, secrets=secrets)
    return parse_event(body)

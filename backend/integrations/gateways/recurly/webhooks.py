"""Recurly JSON webhooks: verify `recurly-signature`, parse the notification, build the event.

Signature (docs.recurly.com, "Signature verification"; XML webhooks are unsigned and refused):
    recurly-signature: <timestamp>,<hex>[,<hex>...]
    hex = HMAC-SHA256(endpoint secret, f"{timestamp}.{raw body}")
Several signatures appear for 24 h after a secret rotation, and we may hold several secrets; any
pair matching is enough. The docs say milliseconds but their example is in seconds, so a
timestamp above 10**12 is read as ms, else as s. Tolerance: 5 minutes either way.

JSON notifications carry ids only, e.g.
    {"id": "<notification id>", "object_type": "subscription", "event_type": "canceled",
     "event_time": "...", "site_id": "...", "uuid": "<object uuid>", "account_code": "..."}
so `reference()` says which object to fetch; the adapter fetches it and maps it to records.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from ..errors import WebhookVerificationError
from ..records import GatewayEvent, ObjectKind

SIGNATURE_HEADER = "recurly-signature"
TOLERANCE_SECONDS = 300
_MS_THRESHOLD = 10**12
# object_type -> what to fetch; "transaction" covers both charges and refunds.
_FETCHABLE = {"subscription": "subscription", "charge_invoice": "invoice",
              "credit_invoice": "invoice", "invoice": "invoice", "payment": "transaction",
              "transaction": "transaction", "account": "account", "billing_info": "account"}


@dataclass(frozen=True)
class Notification:
    """The fields of a Recurly JSON notification we use."""

    id: str
    object_type: str
    event_type: str
    event_time: datetime | None
    uuid: str | None
    account_code: str | None

    @property
    def type(self) -> str:
        return f"{self.object_type}.{self.event_type}"


def verify_signature(headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...], *,
                     now: float | None = None) -> None:
    """Raise WebhookVerificationError unless a configured secret signed `body` recently."""
    if not secrets:
        raise WebhookVerificationError("no Recurly webhook secret is configured")
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    stamp, *signatures = [part.strip() for part in header.split(",")]
    if not stamp.isdigit() or not signatures:
        raise WebhookVerificationError(
            f"malformed {SIGNATURE_HEADER} header: expected '<timestamp>,<hex>[,<hex>]'")
    signed = stamp.encode() + b"." + body
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    if not any(hmac.compare_digest(e, sig.lower()) for e in expected for sig in signatures):
        raise WebhookVerificationError("signature does not match any configured webhook secret")
    _check_fresh(int(stamp), time.time() if now is None else now)


def parse_notification(body: bytes) -> Notification:
    """The notification in a verified body; WebhookVerificationError if it is not one."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookVerificationError("webhook body is not JSON (XML webhooks are unsigned; "
                                       "configure the endpoint for JSON)") from None
    if not isinstance(payload, dict) or not payload.get("id") or not payload.get("object_type"):
        raise WebhookVerificationError("webhook body is not a Recurly JSON notification")
    return Notification(
        id=_text(payload, "id", numbers=True), object_type=_text(payload, "object_type"),
        event_type=_text(payload, "event_type") or "",
        event_time=_parse_time(payload.get("event_time")), uuid=_text(payload, "uuid"),
        account_code=_text(payload, "account_code"))


def _text(payload: dict, field: str, *, numbers: bool = False) -> str | None:
    """A field that names something (an id, a type): a string (or a number where one may be)."""
    value = payload.get(field)
    if value is None or isinstance(value, str):
        return value
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WebhookVerificationError(f"Recurly notification field {field} is not a string",
                                   code="malformed_body")


def reference(note: Notification) -> tuple[str, str] | None:
    """(resource, lookup id) to fetch the object a notification is about, if it says enough.

    Subscriptions and transactions accept `uuid-<uuid>` ids (documented); for invoices the
    same form is our assumption, so a 404 there only means "wait for the next sync".
    """
    resource = _FETCHABLE.get(note.object_type)
    if resource == "account":
        return (resource, f"code-{note.account_code}") if note.account_code else None
    if resource is None or not note.uuid:
        return None
    return resource, f"uuid-{note.uuid}"


_REFETCH_KIND = {"subscription": ObjectKind.SUBSCRIPTION, "invoice": ObjectKind.INVOICE,
                 "transaction": ObjectKind.CHARGE, "account": ObjectKind.CUSTOMER}


def to_event(note: Notification) -> GatewayEvent:
    """The GatewayEvent: no records, only what to fetch (Recurly notifications carry ids)."""
    ref = reference(note)
    refetch = ((_REFETCH_KIND[ref[0]], ref[1]),) if ref else ()
    return GatewayEvent(event_id=note.id, type=note.type, created_at=note.event_time,
                        refetch=refetch, known=note.object_type in _FETCHABLE)


def _check_fresh(stamp: int, now: float) -> None:
    seconds = stamp / 1000 if stamp > _MS_THRESHOLD else stamp
    if abs(now - seconds) > TOLERANCE_SECONDS:
        raise WebhookVerificationError(
            f"webhook timestamp is {int(now - seconds)} s away from now, outside the "
            f"{TOLERANCE_SECONDS} s tolerance (stale or replayed)")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup: one step for werkzeug Headers, a scan for plain dicts."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, val in headers.items():
        if key.lower() == name:
            return val
    return None


def _parse_time(raw) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(
            tzinfo=timezone.utc)
    except (ValueError, OverflowError):  # not a time, or one past year 9999 in UTC
        return None

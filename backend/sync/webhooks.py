"""Inbound gateway webhooks: verify on the raw body, store once, answer fast, process in a job.

The hot path is the signature check with a cached receiver (receivers.py), then the row goes to
the process's inbox (inbox.py): concurrent deliveries share one INSERT .. ON CONFLICT DO NOTHING
in autocommit and one raise of a Redis flag per connection (a drain job is queued only when the
flag was down, see events.py); each request is answered only after its row is committed. The
connection row is read only when the receiver is not cached, has expired, or would reject the
delivery. A verified event that is odd (an id or type too long to store, a value its gateway's
parser cannot read) is refused with the reason (400), so the gateway's delivery log says why.
"""
from __future__ import annotations

import json
import logging

from flask import Blueprint, Flask, Response, request
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import EnvironHeaders

from ..api.errors import ApiError
from ..integrations.gateways.errors import WebhookVerificationError
from ..integrations.gateways.records import GatewayEvent
from . import inbox, receivers

log = logging.getLogger(__name__)
bp = Blueprint("gateway_webhooks", __name__)
# Stored with the delivery, under these names (werkzeug's spelling, as iterating Headers gives).
KEPT_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "Recurly-Signature",
                "X-Wc-Webhook-Signature", "X-Wc-Webhook-Delivery-Id", "X-Wc-Webhook-Topic")
# ... read from the WSGI environ by its keys: a missing header costs no KeyError inside werkzeug.
_ENVIRON_KEYS = tuple((name, "CONTENT_TYPE" if name == "Content-Type"
                       else "HTTP_" + name.upper().replace("-", "_")) for name in KEPT_HEADERS)


@bp.post("/webhooks/<kind>/<int:connection_id>")
def receive(kind: str, connection_id: int):
    body = request.get_data(cache=False)
    return Response(accept(kind, connection_id, body, request.environ), status=200, mimetype="application/json")


def accept(kind: str, connection_id: int, body: bytes, environ: dict) -> bytes:
    """Verify and store one delivery; the answer's body, or ApiError (400/404). Needs an app
    context but no request: the hot path (webhook_hot_path) calls it in front of Flask."""
    account_id, event = _verified(kind, connection_id, EnvironHeaders(environ), body)
    _check_storable(event)
    headers = {name: environ[key] for name, key in _ENVIRON_KEYS if key in environ}
    row = inbox.Row(account_id=account_id, connection_id=connection_id, event_id=event.event_id,
                    event_type=event.type, body=body, headers=headers)
    try:
        new = inbox.store(row)
    except IntegrityError:  # the cached connection was deleted meanwhile
        if receivers.load(connection_id) is None:
            raise ApiError(404, f"no {kind} connection {connection_id}") from None
        raise
    # A duplicate (the same event id again) was stored before: nothing more to store.
    return _STORED if new else _DUPLICATE


# The two answers, encoded once (jsonify per request was ~4% of a delivery's CPU).
_STORED = json.dumps({"received": True, "duplicate": False}).encode()
_DUPLICATE = json.dumps({"received": True, "duplicate": True}).encode()


# The widths of inbound_webhooks.event_id and .event_type.
MAX_EVENT_ID, MAX_EVENT_TYPE = 255, 100


def _check_storable(event: GatewayEvent) -> None:
    """A verified event whose id or type the inbox cannot hold is refused whole (400), not cut."""
    for what, value, limit in (("event id", event.event_id, MAX_EVENT_ID),
                               ("event type", event.type, MAX_EVENT_TYPE)):
        if not isinstance(value, str) or (what == "event id" and not value):
            raise ApiError(400, f"webhook rejected: the {what} is missing or not a string")
        if len(value) > limit:
            raise ApiError(400, f"webhook rejected: the {what} is {len(value)} characters long; "
                                f"at most {limit} are accepted")
        if not value.isprintable() or not _encodes(value):
            raise ApiError(400, f"webhook rejected: the {what} contains control characters or "
                                "invalid Unicode")


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON)
        return False
    return True


def _verified(kind: str, connection_id: int, headers, body: bytes) -> tuple[int, GatewayEvent]:
    """(account id, verified event); a cached receiver's rejection is re-checked fresh."""
    receiver = receivers.cached(connection_id)
    if receiver is not None and receiver.kind == kind:
        try:
            return receiver.account_id, _verify(receiver, headers, body)
        except WebhookVerificationError:
            pass  # maybe a secret was added since we cached it: ask the database
    receiver = receivers.load(connection_id)
    if receiver is None or receiver.kind != kind:
        raise ApiError(404, f"no {kind} connection {connection_id}")
    try:
        return receiver.account_id, _verify(receiver, headers, body)
    except WebhookVerificationError as exc:
        raise ApiError(400, f"webhook rejected: {exc.message}") from None


# What reading an odd body can raise that its gateway's parser did not turn into a rejection.
_ODD_BODY = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def _verify(receiver: receivers.Receiver, headers, body: bytes) -> GatewayEvent:
    """The receiver's verdict; an odd body it failed to read is a rejection (400), not a 500."""
    try:
        return receiver.verify(headers=headers, body=body)
    except _ODD_BODY as exc:
        log.warning("a %s webhook could not be read", receiver.kind, exc_info=True)
        raise WebhookVerificationError(f"the event cannot be read ({exc.__class__.__name__})",
                                       code="malformed_body") from None


def init_app(app: Flask) -> None:
    from .. import jobs
    from .sweep import schedule_next_sweep

    app.register_blueprint(bp)
    jobs.add_worker_duty(app, schedule_next_sweep)

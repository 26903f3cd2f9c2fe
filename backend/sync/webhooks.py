"""Inbound gateway webhooks: verify on the raw body, store once, answer fast, process in a job.

The hot path is the signature check with a cached receiver (receivers.py), one prebuilt
INSERT .. ON CONFLICT DO NOTHING in autocommit (durable before we answer 200) and one Redis
SET NX (a drain job is queued only when none is pending). The connection row is read only when
the receiver is not cached, has expired, or would reject the delivery.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from .. import db
from ..api.errors import ApiError
from ..integrations.gateways.errors import WebhookVerificationError
from ..integrations.gateways.records import GatewayEvent
from ..models import InboundWebhook
from . import receivers
from .events import schedule_drain

bp = Blueprint("gateway_webhooks", __name__)
# Stored with the delivery, under these names (werkzeug's spelling, as iterating Headers gives).
KEPT_HEADERS = ("Content-Type", "User-Agent", "Stripe-Signature", "Recurly-Signature",
                "X-Wc-Webhook-Signature", "X-Wc-Webhook-Delivery-Id", "X-Wc-Webhook-Topic")


@bp.post("/webhooks/<kind>/<int:connection_id>")
def receive(kind: str, connection_id: int):
    body = request.get_data(cache=False)
    account_id, event = _verified(kind, connection_id, body)
    headers = {name: value for name in KEPT_HEADERS
               if (value := request.headers.get(name)) is not None}  # a lookup each, no scan
    params = {"account_id": account_id, "connection_id": connection_id,
              "event_id": event.event_id, "event_type": event.type, "body": body,
              "headers": headers}
    # Autocommit: no BEGIN/COMMIT round trips; the INSERT is durable on its own before the 200.
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:
            webhook_id = conn.execute(_insert_statement(conn.dialect.name), params).scalar()
        except IntegrityError:  # the cached connection was deleted meanwhile
            if receivers.load(connection_id) is None:
                raise ApiError(404, f"no {kind} connection {connection_id}") from None
            raise
    if webhook_id is None:  # the same event id again: already stored, nothing to do
        return jsonify({"received": True, "duplicate": True}), 200
    schedule_drain(connection_id)
    return jsonify({"received": True, "duplicate": False}), 200


def _verified(kind: str, connection_id: int, body: bytes) -> tuple[int, GatewayEvent]:
    """(account id, verified event); a cached receiver's rejection is re-checked fresh."""
    receiver = receivers.cached(connection_id)
    if receiver is not None and receiver.kind == kind:
        try:
            return receiver.account_id, receiver.verify(headers=request.headers, body=body)
        except WebhookVerificationError:
            pass  # maybe a secret was added since we cached it: ask the database
    receiver = receivers.load(connection_id)
    if receiver is None or receiver.kind != kind:
        raise ApiError(404, f"no {kind} connection {connection_id}")
    try:
        return receiver.account_id, receiver.verify(headers=request.headers, body=body)
    except WebhookVerificationError as exc:
        raise ApiError(400, f"webhook rejected: {exc.message}") from None


_STATEMENTS: dict = {}


def _insert_statement(dialect: str):
    """Built once per dialect: building an INSERT per request costs more than running it."""
    if dialect not in _STATEMENTS:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = InboundWebhook.__table__
        _STATEMENTS[dialect] = insert(table).values(
            account_id=bindparam("account_id"), connection_id=bindparam("connection_id"),
            event_id=bindparam("event_id"), event_type=bindparam("event_type"),
            body=bindparam("body"), headers=bindparam("headers"), status="received", attempts=0,
        ).on_conflict_do_nothing(index_elements=["connection_id", "event_id"]).returning(table.c.id)
    return _STATEMENTS[dialect]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

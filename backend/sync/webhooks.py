"""Inbound gateway webhooks: verify on the raw body, store once, answer fast, process in a job.

The hot path is one primary-key read, the signature check, one INSERT .. ON CONFLICT DO NOTHING
(both in autocommit) and one Redis SET NX (a drain job is queued only when none is pending).
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import db
from ..api.errors import ApiError
from ..gateways import config_for
from ..integrations.gateways import GatewayAdapter, build_adapter
from ..integrations.gateways.errors import WebhookVerificationError
from ..models import GatewayConnection, InboundWebhook
from .events import schedule_drain

bp = Blueprint("gateway_webhooks", __name__)
KEPT_HEADERS = ("content-type", "user-agent", "stripe-signature", "recurly-signature",
                "x-wc-webhook-signature", "x-wc-webhook-delivery-id", "x-wc-webhook-topic")


def _receiver(conn, connection_id: int, kind: str) -> tuple[int, GatewayAdapter]:
    table = GatewayConnection.__table__
    row = conn.execute(select(table).where(table.c.id == connection_id)).one_or_none()
    if row is None or row.kind != kind:
        raise ApiError(404, f"no {kind} connection {connection_id}")
    return row.account_id, build_adapter(row.kind, config_for(row))


@bp.post("/webhooks/<kind>/<int:connection_id>")
def receive(kind: str, connection_id: int):
    # Autocommit: the lookup and the INSERT are one round trip each, no BEGIN/COMMIT; the
    # INSERT is durable on its own before we answer 200.
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        account_id, adapter = _receiver(conn, connection_id, kind)
        body = request.get_data(cache=False)
        try:
            event = adapter.parse_webhook(headers=request.headers, body=body)
        except WebhookVerificationError as exc:
            raise ApiError(400, f"webhook rejected: {exc.message}") from None
        webhook_id = conn.execute(_insert(conn, account_id, connection_id, event, body)).scalar()
    if webhook_id is None:  # the same event id again: already stored, nothing to do
        return jsonify({"received": True, "duplicate": True}), 200
    schedule_drain(connection_id)
    return jsonify({"received": True, "duplicate": False}), 200


def _insert(conn, account_id: int, connection_id: int, event, body: bytes):
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    table = InboundWebhook.__table__
    return insert(table).values(
        account_id=account_id, connection_id=connection_id, event_id=event.event_id,
        event_type=event.type, body=body, status="received", attempts=0,
        headers={k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS},
    ).on_conflict_do_nothing(index_elements=["connection_id", "event_id"]).returning(table.c.id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

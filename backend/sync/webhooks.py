"""Inbound gateway webhooks: verify on the raw body, store once, answer fast, process in a job.

The hot path is one primary-key read, the signature check, one INSERT .. ON CONFLICT DO NOTHING
and one Redis SET NX (a drain job is queued only when none is pending for the connection).
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from ..api.errors import ApiError
from ..db import session, upsert_insert
from ..gateways import adapter_for
from ..integrations.gateways import GatewayAdapter
from ..integrations.gateways.errors import WebhookVerificationError
from ..models import GatewayConnection, InboundWebhook
from .events import schedule_drain

bp = Blueprint("gateway_webhooks", __name__)
KEPT_HEADERS = ("content-type", "user-agent", "stripe-signature", "recurly-signature",
                "x-wc-webhook-signature", "x-wc-webhook-delivery-id", "x-wc-webhook-topic")


def _receiver(connection_id: int, kind: str) -> tuple[int, GatewayAdapter]:
    connection = session().get(GatewayConnection, connection_id)
    if connection is None or connection.kind != kind:
        raise ApiError(404, f"no {kind} connection {connection_id}")
    return connection.account_id, adapter_for(connection)


@bp.post("/webhooks/<kind>/<int:connection_id>")
def receive(kind: str, connection_id: int):
    account_id, adapter = _receiver(connection_id, kind)
    body = request.get_data(cache=False)
    try:
        event = adapter.parse_webhook(headers=request.headers, body=body)
    except WebhookVerificationError as exc:
        raise ApiError(400, f"webhook rejected: {exc.message}") from None
    s = session()
    stmt = upsert_insert(s)(InboundWebhook).values(
        account_id=account_id, connection_id=connection_id, event_id=event.event_id,
        event_type=event.type, body=body, status="received", attempts=0,
        headers={k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS},
    ).on_conflict_do_nothing(index_elements=["connection_id", "event_id"]).returning(InboundWebhook.id)
    webhook_id = s.execute(stmt).scalar()
    s.commit()
    if webhook_id is None:  # the same event id again: already stored, nothing to do
        return jsonify({"received": True, "duplicate": True}), 200
    schedule_drain(connection_id)
    return jsonify({"received": True, "duplicate": False}), 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

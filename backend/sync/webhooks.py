"""Inbound gateway webhooks: verify on the raw body, store once, answer fast, process in a job."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy.exc import IntegrityError

from .. import jobs
from ..api.errors import ApiError
from ..db import session
from ..gateways import adapter_for
from ..integrations.gateways.errors import WebhookVerificationError
from ..models import GatewayConnection, InboundWebhook
from .events import process_webhook

bp = Blueprint("gateway_webhooks", __name__)
KEPT_HEADERS = ("content-type", "user-agent", "stripe-signature", "recurly-signature",
                "x-wc-webhook-signature", "x-wc-webhook-delivery-id", "x-wc-webhook-topic")


@bp.post("/webhooks/<kind>/<int:connection_id>")
def receive(kind: str, connection_id: int):
    connection = session().get(GatewayConnection, connection_id)
    if connection is None or connection.kind != kind:
        raise ApiError(404, f"no {kind} connection {connection_id}")
    body = request.get_data(cache=False)
    try:
        event = adapter_for(connection).parse_webhook(headers=request.headers, body=body)
    except WebhookVerificationError as exc:
        raise ApiError(400, f"webhook rejected: {exc.message}") from None
    row = InboundWebhook(account_id=connection.account_id, connection_id=connection.id,
                         event_id=event.event_id, event_type=event.type, body=body,
                         headers={k: v for k, v in request.headers.items() if k.lower() in KEPT_HEADERS})
    s = session()
    s.add(row)
    try:
        s.commit()
    except IntegrityError:  # the same event id again: already stored, nothing to do
        s.rollback()
        return jsonify({"received": True, "duplicate": True}), 200
    jobs.enqueue(process_webhook, row.id)
    return jsonify({"received": True, "duplicate": False}), 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

"""WooCommerce webhooks: X-WC-Webhook-Signature = base64(HMAC-SHA256(secret, raw body)).

The signature covers no timestamp, so there is no replay window to check; a repeated delivery has
the same body and so the same event id (its SHA-256), and the inbox stores it once. The event id
comes from the body alone because stored deliveries are parsed again later. When a webhook is
created WooCommerce pings it, unsigned, with the form body `webhook_id=<id>`: answered 200 and
recorded as an ignored event. Topics: order.* (an order is a charge and an invoice; the refunds
it lists are refetched in full, with their dates), customer.*, subscription.* (WooCommerce Subscriptions) and the action topic
action.woocommerce_order_refunded ({"action", "arg": order id}), whose refunds are refetched.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Mapping

from ..errors import WebhookVerificationError
from ..records import BillingRecord, GatewayEvent, ObjectKind
from . import mappers

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
PING = re.compile(rb"webhook_id=(\d{1,18})")
REFUNDED_ACTION = "woocommerce_order_refunded"
UNREADABLE = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError, RecursionError)


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return value


def verify_signature(headers: Mapping[str, str], body: bytes, secrets: tuple[str, ...]) -> None:
    given = (_header(headers, SIGNATURE_HEADER) or "").strip()
    if not given:
        raise WebhookVerificationError("WooCommerce webhook has no X-WC-Webhook-Signature header")
    if not secrets:
        raise WebhookVerificationError("no webhook secret is configured for this WooCommerce connection")
    if not any(hmac.compare_digest(given, signature(s, body)) for s in secrets):
        raise WebhookVerificationError("WooCommerce webhook signature does not match the body "
                                       "(wrong secret, or the body was changed)")


def parse_webhook(headers: Mapping[str, str], body: bytes, *, secrets: tuple[str, ...],
                  verify: bool = True) -> GatewayEvent:
    ping = PING.fullmatch(body.strip())
    if ping:  # WooCommerce's unsigned creation ping: acknowledge, nothing to apply
        return GatewayEvent(event_id=f"ping-{ping.group(1).decode()}", type="webhook.ping", created_at=None,
                            known=False)
    if verify:
        verify_signature(headers, body, secrets)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookVerificationError("WooCommerce webhook body is not JSON", code="malformed_body") from None
    if not isinstance(payload, dict):
        raise WebhookVerificationError("WooCommerce webhook body is not a JSON object", code="malformed_body")
    topic = _header(headers, TOPIC_HEADER) or infer_topic(payload)
    try:
        return _event(topic, payload, hashlib.sha256(body).hexdigest())
    except UNREADABLE as exc:
        raise WebhookVerificationError(f"WooCommerce webhook cannot be read: {str(exc)[:200] or type(exc).__name__}",
                                       code="malformed_body") from None


def infer_topic(payload: dict) -> str:
    """The topic a stored delivery's body implies (its headers may be gone)."""
    if "action" in payload and "arg" in payload:
        return f"action.{payload['action']}"
    if "billing_period" in payload:
        return "subscription.updated"
    if "order_key" in payload or "line_items" in payload:
        return "order.updated"
    if "email" in payload and ("role" in payload or "username" in payload):
        return "customer.updated"
    return "unknown"


def _event(topic: str, payload: dict, digest: str) -> GatewayEvent:
    resource, _, change = topic.partition(".")
    records: tuple[BillingRecord, ...] = ()
    deleted: tuple[tuple[ObjectKind, str], ...] = ()
    refetch: tuple[tuple[ObjectKind, str], ...] = ()
    known = True
    if topic == f"action.{REFUNDED_ACTION}":
        order_id = str(int(payload["arg"]))
        refetch = ((ObjectKind.CHARGE, order_id), (ObjectKind.INVOICE, order_id), (ObjectKind.REFUND, order_id))
    elif change == "deleted" and resource in ("order", "customer", "subscription"):
        kinds = {"order": (ObjectKind.CHARGE, ObjectKind.INVOICE), "customer": (ObjectKind.CUSTOMER,),
                 "subscription": (ObjectKind.SUBSCRIPTION,)}[resource]
        deleted = tuple((kind, str(int(payload["id"]))) for kind in kinds)
    elif resource == "order":
        guest = mappers.guest_record(payload)
        records = (*([guest] if guest else []), mappers.charge_record(payload), mappers.invoice_record(payload))
        if payload.get("refunds"):  # listed without dates: fetched in full by the processing job
            refetch = ((ObjectKind.REFUND, str(int(payload["id"]))),)
    elif resource == "customer":
        records = (mappers.customer_record(payload),)
    elif resource == "subscription":
        records = (mappers.subscription_record(payload),)
    else:
        known = False
    when = mappers.utc(payload.get("date_modified_gmt") or payload.get("date_created_gmt")) if known else None
    return GatewayEvent(event_id=f"wc-{digest[:48]}", type=topic[:100], created_at=when, records=records,
                        deleted=deleted, known=known, refetch=refetch)

"""WooCommerce webhooks: the signature scheme, the creation ping, topics; and real deliveries from
the sandbox into the product's intake (POST /webhooks/woocommerce/<id>) drained by a real worker."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from backend.integrations.gateways.errors import WebhookVerificationError
from backend.integrations.gateways.records import ChargeRecord, InvoiceRecord, ObjectKind, RefundRecord
from backend.integrations.gateways.sandbox_server import serve_in_thread
from backend.integrations.gateways.woocommerce.webhooks import signature
from tests.conftest import wait_for

from .conftest import WEBHOOK_SECRET


def _delivery(sandbox, topic, object_id, secret=WEBHOOK_SECRET):
    return sandbox.signed_delivery(topic, object_id, secret)


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    # Computed independently: printf '{"id":1}' | openssl dgst -sha256 -hmac secret -binary | base64
    assert signature("secret", b'{"id":1}') == "A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc="


def test_a_signed_order_delivery_yields_the_charge_invoice_and_refunds(sandbox, adapter):
    order = sandbox.add_order(total="30.00")
    sandbox.add_refund(order["id"], "10.00", reason="late")
    headers, body = _delivery(sandbox, "order.updated", order["id"])
    event = adapter.parse_webhook(headers=headers, body=body)
    assert event.type == "order.updated" and event.known
    by_type = {type(r): r for r in event.records}
    assert by_type[ChargeRecord].amount_refunded == 1000
    assert by_type[InvoiceRecord].status.value == "paid"
    assert RefundRecord not in by_type  # the order lists its refunds without dates: fetched in full
    (refund,) = [r for r in adapter.hydrate_event(event) if isinstance(r, RefundRecord)]
    assert (refund.amount, refund.reason, refund.created_at is not None) == (1000, "late", True)
    stored = adapter.parse_webhook(headers={}, body=body, verify=False)  # the processing job's view
    assert (stored.event_id, stored.type) == (event.event_id, "order.updated")


@pytest.mark.parametrize("change", ["tamper", "wrong-secret", "no-header"])
def test_unverifiable_deliveries_are_refused(sandbox, adapter, change):
    order = sandbox.add_order(total="30.00")
    headers, body = _delivery(sandbox, "order.updated", order["id"],
                              secret="someone-else" if change == "wrong-secret" else WEBHOOK_SECRET)
    if change == "tamper":
        body = body.replace(b'"30.00"', b'"3000.00"')
    if change == "no-header":
        headers.pop("X-WC-Webhook-Signature")
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=headers, body=body)


def test_either_secret_verifies_during_a_rotation(sandbox):
    from backend.integrations.gateways import build_adapter

    adapter = build_adapter("woocommerce", sandbox.gateway_config(webhook_secrets=("new-secret", WEBHOOK_SECRET)))
    customer = sandbox.add_customer("ada@example.com")
    for secret in ("new-secret", WEBHOOK_SECRET):
        headers, body = _delivery(sandbox, "customer.updated", customer["id"], secret)
        assert adapter.parse_webhook(headers=headers, body=body).records[0].email == "ada@example.com"


def test_the_creation_ping_is_acknowledged_and_ignored(adapter):
    event = adapter.parse_webhook(headers={"Content-Type": "application/x-www-form-urlencoded"},
                                  body=b"webhook_id=42")
    assert (event.event_id, event.known) == ("ping-42", False)


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b'{"id": 1, "order_key": "k", "total": "x", '
                                                         b'"currency": "USD", "status": "completed"}'])
def test_malformed_bodies_are_refused_not_crashed_on(adapter, body):
    headers = {"X-WC-Webhook-Signature": signature(WEBHOOK_SECRET, body), "X-WC-Webhook-Topic": "order.updated"}
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=headers, body=body)


def test_deleted_orders_unknown_topics_and_refund_actions(sandbox, adapter):
    order = sandbox.add_order(total="30.00")
    sandbox.add_refund(order["id"], "4.00")

    def parse(topic, payload):
        body = json.dumps(payload).encode()
        return adapter.parse_webhook(headers={"X-WC-Webhook-Topic": topic,
                                              "X-WC-Webhook-Signature": signature(WEBHOOK_SECRET, body)}, body=body)
    deleted = parse("order.deleted", {"id": order["id"]})
    assert set(deleted.deleted) == {(ObjectKind.CHARGE, str(order["id"])), (ObjectKind.INVOICE, str(order["id"]))}
    assert parse("coupon.created", {"id": 3, "code": "SAVE"}).known is False
    refunded = parse("action.woocommerce_order_refunded", {"action": "woocommerce_order_refunded",
                                                           "arg": order["id"]})
    hydrated = adapter.hydrate_event(refunded)
    assert [r.amount for r in hydrated if isinstance(r, RefundRecord)] == [400]
    assert [r.amount_refunded for r in hydrated if isinstance(r, ChargeRecord)] == [400]


# --- into the product ------------------------------------------------------------------------------
@pytest.fixture
def live_app(app):
    server = serve_in_thread(app)
    yield server.url
    server.stop()


@pytest.fixture
def wc_connection(ctx, account, sandbox):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="woocommerce", name="Shop",
                                 credentials=sandbox.credentials(), api_base=sandbox.url,
                                 webhook_secrets=[WEBHOOK_SECRET], settings={"subscriptions_extension": True})
        s.add(conn)
    return conn


def test_sandbox_deliveries_reach_the_mirror_through_the_intake(sandbox, live_app, wc_connection, rq_worker):
    from backend.db import session
    from backend.models import Charge, InboundWebhook, Refund

    sandbox.add_webhook_endpoint(f"{live_app}/webhooks/woocommerce/{wc_connection.id}", WEBHOOK_SECRET)
    assert [(d["topic"], d["status"]) for d in sandbox.deliveries] == [("ping", 200)]
    customer = sandbox.add_customer("ada@example.com")
    order = sandbox.add_order(total="25.00", customer_id=customer["id"])
    sandbox.add_refund(order["id"], "5.00", reason="Refunded in wp-admin")
    assert {d["status"] for d in sandbox.deliveries} == {200}
    rq_worker()

    def mirrored():
        session().expire_all()
        charge = session().scalars(select(Charge).where(Charge.external_id == str(order["id"]))).one_or_none()
        return charge if charge is not None and charge.amount_refunded_minor == 500 else None
    charge = wait_for(mirrored, message="the drained webhooks to mirror the refunded order")
    assert charge.customer_id is not None
    refund = session().scalars(select(Refund).where(Refund.charge_id == charge.id)).one()
    assert refund.amount_minor == 500
    statuses = wait_for(lambda: (session().expire_all(), sorted(
        (r.event_type, r.status) for r in session().scalars(select(InboundWebhook))))[1], message="rows")
    assert ("webhook.ping", "ignored") in statuses
    assert all(status in ("processed", "ignored") for _type, status in statuses)


def test_the_intake_refuses_a_forged_delivery_with_a_400(client, sandbox, wc_connection):
    order = sandbox.add_order(total="25.00")
    headers, body = _delivery(sandbox, "order.updated", order["id"], secret="forged")
    response = client.post(f"/webhooks/woocommerce/{wc_connection.id}", data=body, headers=headers)
    assert response.status_code == 400 and "signature does not match" in response.get_json()["message"]

"""Stripe webhook verification and parsing, signed the way Stripe signs (the SDK's own helper)."""
from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime, timezone

import pytest
import stripe

from backend.integrations.gateways.contract import GatewayConfig
from backend.integrations.gateways.errors import WebhookVerificationError
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, DisputeRecord, InvoiceRecord, ObjectKind,
    RefundRecord, SubscriptionRecord, TaxIdRecord,
)
from backend.integrations.gateways.stripe.adapter import StripeAdapter
from backend.integrations.gateways.stripe.webhooks import handler_for

SECRET = "whsec_current_secret"
OLD_SECRET = "whsec_previous_secret"
CHARGE = {"id": "ch_1", "object": "charge", "amount": 1000, "amount_captured": 1000,
          "amount_refunded": 500, "currency": "eur", "status": "succeeded", "captured": True,
          "refunded": False, "customer": "cus_1"}


def event_body(event_type: str = "charge.refunded", obj: dict = CHARGE, event_id: str = "evt_1") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "created": 1700000000,
                       "api_version": stripe.api_version, "data": {"object": obj}}).encode()


def sign(body: bytes, secret: str = SECRET, *, at: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp=at)


def adapter(*secrets: str) -> StripeAdapter:
    return StripeAdapter(GatewayConfig("conn_1", {"api_key": "sk_test_x"}, webhook_secrets=secrets))


def rejection(secrets: tuple[str, ...], headers: dict, body: bytes) -> WebhookVerificationError:
    with pytest.raises(WebhookVerificationError) as caught:
        adapter(*secrets).parse_webhook(headers=headers, body=body)
    return caught.value


def test_valid_signature_parses_the_charge():
    body = event_body()
    event = adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(body)}, body=body)
    assert (event.event_id, event.type, event.known) == ("evt_1", "charge.refunded", True)
    assert event.created_at == datetime.fromtimestamp(1700000000, tz=timezone.utc)
    (charge,) = event.records
    assert isinstance(charge, ChargeRecord)
    assert (charge.external_id, charge.amount_refunded, charge.currency) == ("ch_1", 500, "EUR")
    assert charge.status is ChargeStatus.SUCCEEDED and event.deleted == ()


def test_header_name_is_case_insensitive():
    body = event_body()
    event = adapter(SECRET).parse_webhook(headers={"stripe-signature": sign(body)}, body=body)
    assert event.event_id == "evt_1"


def test_werkzeug_headers_are_looked_up_in_any_case():
    from werkzeug.datastructures import EnvironHeaders, Headers

    body = event_body()
    for headers in (Headers({"STRIPE-SIGNATURE": sign(body)}),
                    EnvironHeaders({"HTTP_STRIPE_SIGNATURE": sign(body)})):
        assert adapter(SECRET).parse_webhook(headers=headers, body=body).event_id == "evt_1"
    assert rejection((SECRET,), Headers({"X-Other": "1"}), body).code == "missing_header"


def test_tampered_body_is_rejected():
    body = event_body()
    tampered = body.replace(b'"amount_refunded": 500', b'"amount_refunded": 900')
    assert tampered != body
    error = rejection((SECRET,), {"Stripe-Signature": sign(body)}, tampered)
    assert error.code == "no_matching_signature"
    assert "matches any configured secret" in error.message


def test_wrong_secret_is_rejected():
    body = event_body()
    error = rejection((SECRET,), {"Stripe-Signature": sign(body, "whsec_someone_else")}, body)
    assert error.code == "no_matching_signature"


def test_stale_timestamp_is_rejected():
    body = event_body()
    header = sign(body, at=int(time.time()) - 301)
    error = rejection((OLD_SECRET, SECRET), {"Stripe-Signature": header}, body)
    assert error.code == "timestamp_outside_tolerance"
    assert "tolerance" in error.message


def test_timestamp_inside_tolerance_is_accepted():
    body = event_body()
    header = sign(body, at=int(time.time()) - 240)
    assert adapter(SECRET).parse_webhook(headers={"Stripe-Signature": header}, body=body).known


@pytest.mark.parametrize("signing_secret", [OLD_SECRET, SECRET])
def test_rotation_accepts_either_configured_secret(signing_secret):
    body = event_body()
    event = adapter(OLD_SECRET, SECRET).parse_webhook(
        headers={"Stripe-Signature": sign(body, signing_secret)}, body=body)
    assert event.event_id == "evt_1"


def test_header_with_two_v1_signatures():
    body = event_body()
    at = int(time.time())
    wrong = sign(body, "whsec_retired", at=at).split("v1=")[1]
    right = sign(body, SECRET, at=at).split("v1=")[1]
    header = f"t={at},v1={wrong},v1={right},v0=ignored"
    assert adapter(SECRET).parse_webhook(headers={"Stripe-Signature": header}, body=body).known


@pytest.mark.parametrize("headers", [{}, {"Stripe-Signature": ""}, {"Content-Type": "application/json"}])
def test_missing_header_is_rejected(headers):
    error = rejection((SECRET,), headers, event_body())
    assert error.code == "missing_header" and "Stripe-Signature" in error.message


def test_no_secret_configured_is_rejected():
    body = event_body()
    error = rejection(("",), {"Stripe-Signature": sign(body)}, body)
    assert error.code == "no_secret"


def test_garbled_header_is_rejected():
    error = rejection((SECRET,), {"Stripe-Signature": "not-a-signature"}, event_body())
    assert error.code == "malformed_header"


def test_signed_body_that_is_not_an_event_is_rejected():
    body = b'{"hello": "world"}'
    error = rejection((SECRET,), {"Stripe-Signature": sign(body)}, body)
    assert error.code == "malformed_body"


def test_unknown_event_type_is_recorded_but_not_mapped():
    body = event_body("balance.available", {"id": "bal_1", "object": "balance"}, "evt_bal")
    event = adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(body)}, body=body)
    assert (event.event_id, event.type, event.known, event.records) == (
        "evt_bal", "balance.available", False, ())


def test_handler_lookup_prefers_exact_then_nearest_wildcard():
    assert handler_for("charge.refund.updated") is not handler_for("charge.succeeded")
    assert handler_for("charge.dispute.closed") is handler_for("charge.dispute.created")
    assert handler_for("charge.dispute.closed") is not handler_for("charge.captured")
    assert handler_for("customer.discount.created") is None
    assert handler_for("plan.created") is None


@pytest.mark.parametrize("event_type, fixture, record_type", [
    ("charge.succeeded", "charge", ChargeRecord),
    ("charge.captured", "charge", ChargeRecord),
    ("charge.refund.updated", "refund", RefundRecord),
    ("refund.created", "refund", RefundRecord),
    ("charge.dispute.created", "dispute", DisputeRecord),
    ("customer.created", "customer", CustomerRecord),
    ("customer.updated", "customer", CustomerRecord),
    ("customer.subscription.updated", "subscription", SubscriptionRecord),
    ("customer.subscription.deleted", "subscription", SubscriptionRecord),
    ("invoice.paid", "invoice", InvoiceRecord),
    ("invoice.finalized", "invoice", InvoiceRecord),
    ("customer.tax_id.created", "tax_id", TaxIdRecord),
])
def test_event_types_map_their_object(fixtures3, event_type, fixture, record_type):
    obj = fixtures3[fixture]
    body = event_body(event_type, obj)
    event = adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(body)}, body=body)
    (record,) = event.records
    assert isinstance(record, record_type) and record.external_id == obj["id"]
    assert event.known and event.deleted == ()


@pytest.mark.parametrize("event_type, fixture, kind", [
    ("customer.deleted", "customer", ObjectKind.CUSTOMER),
    ("customer.tax_id.deleted", "tax_id", ObjectKind.TAX_ID),
    ("invoice.deleted", "invoice", ObjectKind.INVOICE),
])
def test_deletion_events(fixtures3, event_type, fixture, kind):
    obj = fixtures3[fixture]
    body = event_body(event_type, obj)
    event = adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(body)}, body=body)
    assert (event.records, event.deleted, event.known) == ((), ((kind, obj["id"]),), True)


def test_payment_intent_event_maps_only_an_expanded_latest_charge(fixtures3):
    intent = {**fixtures3["payment_intent"], "latest_charge": "ch_unexpanded"}
    expanded = {**intent, "latest_charge": fixtures3["charge"]}
    bare, full = (event_body("payment_intent.succeeded", obj) for obj in (intent, expanded))
    bare_event = adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(bare)}, body=bare)
    full_event = adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(full)}, body=full)
    assert bare_event.known and bare_event.records == ()
    assert [record.external_id for record in full_event.records] == [fixtures3["charge"]["id"]]


# --- end to end: the sandbox signs and delivers, the adapter verifies and parses ---------------
@pytest.fixture
def receiver():
    """A loopback endpoint that stores every delivery's headers and raw body."""
    from werkzeug.wrappers import Request, Response

    from backend.integrations.gateways.sandbox_server import serve_in_thread

    received: list[tuple[dict, bytes]] = []

    def app(environ, start_response):
        request = Request(environ)
        received.append((dict(request.headers), request.get_data()))
        return Response("ok")(environ, start_response)

    server = serve_in_thread(app)
    yield server.url, received
    server.stop()


def test_sandbox_deliveries_verify_and_parse(adapter, make, receiver):
    url, received = receiver
    secret = make.sandbox.add_webhook_endpoint(f"{url}/hooks/stripe", "whsec_e2e_secret")
    charge_id = make.paid_charge(1000, "usd")
    adapter.refund(charge_id=charge_id, amount=250, currency="USD", reason=None, note=None,
                   idempotency_key="run-hook")
    assert make.sandbox.flush_webhooks(10)
    listening = StripeAdapter(dataclasses.replace(adapter.config, webhook_secrets=(OLD_SECRET, secret)))
    events = [listening.parse_webhook(headers=headers, body=body) for headers, body in received]
    assert len({event.event_id for event in events}) == len(events) > 0
    by_type = {event.type: event for event in events}
    (refund,) = by_type["refund.created"].records
    assert (refund.charge_external_id, refund.amount, refund.metadata["chargedesk_key"]) == (
        charge_id, 250, "run-hook")
    (charge,) = by_type["charge.refunded"].records
    assert (charge.external_id, charge.amount_refunded) == (charge_id, 250)
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=received[0][0], body=received[0][1])  # no secret configured


@pytest.mark.parametrize("changes, reason", [
    ({"amount": "x"}, "amount 'x' is not a whole number"),
    ({"amount": 10.5}, "amount 10.5 is not a whole number"),
    ({"amount": True}, "amount True is not a whole number"),
    ({"amount_refunded": 1e20}, "amount_refunded 1e+20 is out of range"),
    ({"created": "abc"}, "created 'abc' is not a Unix timestamp"),
    ({"created": 1e20}, "created 1e+20 is not a Unix timestamp"),
    ({"currency": "euro"}, "currency 'euro' is not a three-letter code"),
    ({"payment_method_details": ["card"]}, "cannot be read"),
])
def test_odd_values_in_a_signed_object_are_refused_with_the_field_named(changes, reason):
    body = event_body(obj={**CHARGE, **changes})
    error = rejection((SECRET,), {"Stripe-Signature": sign(body)}, body)
    assert error.code == "malformed_body"
    assert error.message.startswith("Stripe event 'evt_1' (charge.refunded) cannot be read: ")
    assert reason in error.message


@pytest.mark.parametrize("field, value, reason", [
    ("created", "abc", "created 'abc' is not a Unix timestamp"),
    ("created", 1e20, "created 1e+20 is not a Unix timestamp"),
    ("id", ["evt_1"], "id and type must be strings"),
    ("type", {"a": 1}, "id and type must be strings"),
])
def test_odd_event_fields_are_refused(field, value, reason):
    event = json.loads(event_body())
    body = json.dumps({**event, field: value}).encode()
    error = rejection((SECRET,), {"Stripe-Signature": sign(body)}, body)
    assert error.code == "malformed_body" and reason in error.message


def test_whole_floats_are_amounts_and_stored_bodies_fail_the_same_way():
    body = event_body(obj={**CHARGE, "amount": 1000.0})
    assert adapter(SECRET).parse_webhook(headers={"Stripe-Signature": sign(body)}, body=body).records[0].amount == 1000
    odd = event_body(obj={**CHARGE, "amount": "x"})
    with pytest.raises(WebhookVerificationError, match="amount 'x' is not a whole number"):
        adapter(SECRET).parse_webhook(headers={}, body=odd, verify=False)

"""Signed webhook deliveries, the /_sandbox HTTP controls, the CLI, and fixture-shaped objects."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import stripe
from werkzeug.wrappers import Request, Response

from backend.integrations.gateways.sandbox_server import serve_in_thread

from .test_sandbox_support import API_KEY, client, customer, paid_charge, running_sandbox, sandbox  # noqa: F401

FIXTURES = Path("/work/shared/reference/vendor/stripe-fixtures3.json")


@pytest.fixture
def receiver():
    """A loopback HTTP endpoint recording each delivery's Stripe-Signature header and raw body."""
    received: list[tuple[str, bytes]] = []

    @Request.application
    def app(request: Request) -> Response:
        received.append((request.headers.get("Stripe-Signature", ""), request.get_data()))
        return Response("ok", status=200)

    server = serve_in_thread(app)
    yield server.url, received
    server.stop()


def test_deliveries_verify_with_the_sdk(client, sandbox, receiver):
    url, received = receiver
    secret = sandbox.add_webhook_endpoint(url + "/hooks/stripe", events=("charge.refunded", "refund.created"))
    assert secret.startswith("whsec_")
    charge = paid_charge(client, 1000)
    client.v1.refunds.create({"charge": charge.id, "amount": 400})
    assert sandbox.flush_webhooks(5)
    events = [stripe.Webhook.construct_event(body.decode(), header, secret) for header, body in received]
    assert [e.type for e in events] == ["refund.created", "charge.refunded"]
    assert events[1].data.object.id == charge.id and events[1].data.object.amount_refunded == 400
    assert sandbox.deliveries == [(url + "/hooks/stripe", 200)] * 2
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(received[0][1].decode(), received[0][0], "whsec_wrong")


def test_endpoint_created_through_the_api_returns_its_secret(client, sandbox, receiver):
    url, received = receiver
    endpoint = client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["customer.created"]})
    assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
    assert getattr(client.v1.webhook_endpoints.retrieve(endpoint.id), "secret", None) is None
    made = client.v1.customers.create({"email": "hook@example.com"})
    client.v1.customers.update(made.id, {"name": "not subscribed"})
    sandbox.flush_webhooks(5)
    assert len(received) == 1
    event = stripe.Webhook.construct_event(received[0][1].decode(), received[0][0], endpoint.secret)
    assert event.type == "customer.created" and event.data.object.email == "hook@example.com"


def test_failed_delivery_is_recorded(client, sandbox):
    sandbox.add_webhook_endpoint("http://127.0.0.1:9/unreachable", secret="whsec_fixed")
    client.v1.customers.create({})
    assert sandbox.flush_webhooks(10)
    assert sandbox.deliveries == [("http://127.0.0.1:9/unreachable", 0)]


def test_http_controls_drive_an_out_of_process_sandbox(client, sandbox):
    base = sandbox.url + "/_sandbox"
    jenny = client.v1.customers.create({"email": "j@example.com"})
    seeded = requests.post(base + "/seed_charges", json={"customer": jenny.id, "count": 30, "amount": 500}).json()
    assert seeded["count"] == 30
    charges = requests.get(base + "/objects/charges").json()["data"]
    assert len(charges) == 30 and {c["amount"] for c in charges} == {500}

    assert requests.post(base + "/fail", json={"count": 1, "status": 502, "path_prefix": "/v1/charges"}).ok
    with pytest.raises(stripe.APIError):
        client.v1.charges.list()
    assert len(client.v1.charges.list({"limit": 100}).data) == 30

    dispute = requests.post(base + "/disputes", json={"charge": seeded["last"], "reason": "duplicate"}).json()
    assert dispute["object"] == "dispute" and dispute["reason"] == "duplicate"
    secret = requests.post(base + "/webhook_endpoints", json={"url": "http://127.0.0.1:9/x", "secret": "whsec_s"}).json()
    assert secret == {"secret": "whsec_s"}

    assert requests.post(base + "/reset").ok
    assert requests.get(base + "/objects/charge").json()["data"] == []
    assert requests.post(base + "/nope").status_code == 404


def test_cli_serves_on_loopback(tmp_path):
    port = 0
    with subprocess.Popen([sys.executable, "-m", "backend.integrations.gateways.stripe.sandbox", "--port", str(port)],
                          stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[4]) as process:
        try:
            line = process.stdout.readline()
            url = line.strip().rsplit(" ", 1)[-1]
            assert url.startswith("http://127.0.0.1:")
            local = stripe.StripeClient(API_KEY, base_addresses={"api": url}, max_network_retries=0)
            assert local.v1.customers.create({"email": "cli@example.com"}).email == "cli@example.com"
        finally:
            process.terminate()


@pytest.mark.skipif(not FIXTURES.exists(), reason="stripe-fixtures3.json (vendor reference) is not available here")
def test_objects_carry_every_field_of_the_stripe_fixtures(client, sandbox, customer):
    resources = json.loads(FIXTURES.read_text())["resources"]
    charge = paid_charge(client, 1500)
    client.v1.refunds.create({"charge": charge.id, "amount": 100})
    product = client.v1.products.create({"name": "Shape"})
    price = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 100,
                                     "recurring": {"interval": "month"}})
    client.v1.coupons.create({"percent_off": 10})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": sandbox.objects("coupon")[0]["id"]}})
    client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": price.id}],
                                    "discounts": [{"coupon": sandbox.objects("coupon")[0]["id"]}]})
    client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "FR12345678901"})
    client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20, "inclusive": False})
    sandbox.open_dispute(charge.id)
    sandbox.add_webhook_endpoint("http://127.0.0.1:9/x")
    kinds = ("customer", "payment_method", "payment_intent", "charge", "refund", "product", "price", "coupon",
             "promotion_code", "discount", "subscription", "subscription_item", "invoice", "line_item", "tax_id",
             "tax_rate", "dispute", "event", "webhook_endpoint", "invoice_payment")
    for kind in kinds:
        ours = sandbox.objects(kind)
        assert ours, kind
        missing = set(resources[kind]) - set(ours[0])
        assert not missing, f"{kind} lacks {sorted(missing)}"

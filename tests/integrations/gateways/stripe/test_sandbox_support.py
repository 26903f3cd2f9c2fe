"""Shared fixtures for the Stripe sandbox tests: a live loopback sandbox and a real StripeClient on it."""
from __future__ import annotations

import pytest
import stripe

from backend.integrations.gateways.stripe.sandbox import StripeSandbox

API_KEY = "sk_test_sandbox_1234567890"


@pytest.fixture(scope="module")
def running_sandbox():
    """One sandbox served on 127.0.0.1:<free port> per test module (stopping takes ~0.5 s)."""
    sb = StripeSandbox()
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def sandbox(running_sandbox):
    """The module's sandbox, emptied for this test."""
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def client(sandbox) -> stripe.StripeClient:
    """The official SDK pointed at the sandbox, without retries so failures surface."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0)


@pytest.fixture
def customer(client):
    """A customer whose default payment method is a working Visa."""
    return client.v1.customers.create({
        "email": "jenny@example.com", "name": "Jenny Rosen", "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"}})


def paid_charge(client, amount: int = 2000, **extra):
    """A captured card charge through a confirmed PaymentIntent; returns the charge."""
    intent = client.v1.payment_intents.create({
        "amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True, **extra})
    return client.v1.charges.retrieve(intent.latest_charge)

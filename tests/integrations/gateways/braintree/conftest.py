"""Fixtures: one loopback Braintree sandbox per module (reset per test), the adapter, the SDK."""
from __future__ import annotations

import logging

import braintree
import pytest

from backend.integrations.gateways import build_adapter
from backend.integrations.gateways.braintree.client import environment_for
from backend.integrations.gateways.braintree.sandbox import BraintreeSandbox


@pytest.fixture(scope="module")
def running_sandbox():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = BraintreeSandbox()
    sandbox.start(port=0)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox):
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def adapter(sandbox):
    return build_adapter("braintree", sandbox.gateway_config())


@pytest.fixture
def sdk(sandbox):
    """The real SDK pointed at the sandbox, for arranging state and for cross-checks."""
    config = sandbox.gateway_config()
    return braintree.BraintreeGateway(braintree.Configuration(
        environment_for(config), merchant_id=sandbox.merchant_id,
        public_key=sandbox.public_key, private_key=sandbox.private_key))


@pytest.fixture
def make_sale(sdk):
    """Create a sale through the SDK: authorize only unless submit=True."""
    def make(amount: str = "10.00", *, submit: bool = False, card: str = "4111111111111111",
             merchant_account_id: str | None = None, **extra):
        params = {"amount": amount, "credit_card": {"number": card, "expiration_date": "12/2030"},
                  "options": {"submit_for_settlement": submit}, **extra}
        if merchant_account_id:
            params["merchant_account_id"] = merchant_account_id
        result = sdk.transaction.sale(params)
        assert result.is_success, result.message
        return result.transaction
    return make


@pytest.fixture
def make_customer(sdk):
    def make(email: str = "ada@example.com", card: str = "4111111111111111"):
        result = sdk.customer.create({"email": email, "first_name": "Ada", "last_name": "Lovelace",
                                      "credit_card": {"number": card,
                                                      "expiration_date": "12/2030"}})
        assert result.is_success, result.message
        return result.customer
    return make

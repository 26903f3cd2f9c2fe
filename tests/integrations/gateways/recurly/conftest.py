"""Fixtures: one loopback Recurly sandbox per module (reset per test), the adapter, the real SDK."""
from __future__ import annotations

import logging

import pytest

from backend.integrations.gateways import build_adapter
from backend.integrations.gateways.recurly.client import build_sdk_client
from backend.integrations.gateways.recurly.sandbox import RecurlySandbox

WEBHOOK_SECRET = "whsec-recurly-test"


@pytest.fixture(scope="module")
def running_sandbox():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = RecurlySandbox(api_key="test-api-key")
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox):
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def config(sandbox):
    return sandbox.gateway_config(webhook_secrets=(WEBHOOK_SECRET,),
                                  settings={"default_currency": "USD"})


@pytest.fixture
def adapter(config):
    """Built through the registry, as the product builds it."""
    return build_adapter("recurly", config)


@pytest.fixture
def sdk(config):
    """The real recurly.Client pointed at the sandbox, for arranging state."""
    return build_sdk_client(config)


@pytest.fixture
def make_account(sdk):
    def make(code: str = "ada", *, country: str | None = None, vat_number: str | None = None,
             card: str = "4111111111111111", email: str | None = None):
        body = {"code": code, "email": email or f"{code}@example.com", "first_name": "Ada",
                "last_name": "Lovelace",
                "billing_info": {"number": card, "first_name": "Ada", "last_name": "Lovelace"}}
        if country:
            body["address"] = {"country": country}
        if vat_number:
            body["vat_number"] = vat_number
        return sdk.create_account(body)
    return make


@pytest.fixture
def make_payment(sdk, make_account):
    """A paid one-time purchase through POST /purchases; returns the purchase transaction."""
    def make(amount: float = 100.0, currency: str = "USD", *, account_code: str = "ada"):
        try:
            sdk.get_account(f"code-{account_code}")
        except Exception:  # noqa: BLE001 - first use of this account code
            make_account(account_code)
        collection = sdk.create_purchase({
            "currency": currency, "account": {"code": account_code},
            "line_items": [{"currency": currency, "unit_amount": amount, "quantity": 1,
                            "description": "Consulting"}]})
        return collection.charge_invoice.transactions[0]
    return make

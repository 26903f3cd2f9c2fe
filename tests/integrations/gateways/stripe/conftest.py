"""Shared fixtures: Stripe's own example objects (stripe-mock's fixtures3.json) and the sandbox."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import stripe

from backend.integrations.gateways.stripe.client import plain

FIXTURES3_PATH = Path(os.environ.get(
    "CHARGEDESK_STRIPE_FIXTURES3", "/work/shared/reference/vendor/stripe-fixtures3.json"))


@pytest.fixture(scope="session")
def fixtures3() -> dict:
    """{object name: example object}, as Stripe generated them from its OpenAPI spec."""
    if not FIXTURES3_PATH.is_file():
        pytest.skip(f"Stripe fixtures3.json not found at {FIXTURES3_PATH} (it lives beside the "
                    "project in shared/reference/vendor; set CHARGEDESK_STRIPE_FIXTURES3)")
    with FIXTURES3_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)["resources"]


def through_sdk(resource: type, values: dict) -> dict:
    """Deserialise like the SDK does for a response, then flatten like client.py does."""
    return plain(resource.construct_from(copy.deepcopy(values), "sk_test_fixture"))


@pytest.fixture
def sdk_object(fixtures3):
    """sdk_object("charge", stripe.Charge, status="failed"): a fixture with overrides, SDK round-tripped."""
    def build(fixture_name: str, resource: type = stripe.StripeObject, /, **overrides) -> dict:
        return through_sdk(resource, {**copy.deepcopy(fixtures3[fixture_name]), **overrides})
    return build


# --- the loopback sandbox ----------------------------------------------------------------------
API_KEY = "sk_test_chargedesk_adapter"


@pytest.fixture(scope="session")
def sandbox():
    """One Stripe sandbox for the session (port 0 on 127.0.0.1); tests reset it via fresh_sandbox."""
    try:
        from backend.integrations.gateways.stripe.sandbox import StripeSandbox
    except ImportError as exc:  # built by another package; say so rather than fail obscurely
        pytest.skip(f"Stripe sandbox not importable: {exc}")
    running = StripeSandbox()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def fresh_sandbox(sandbox):
    sandbox.reset()
    return sandbox


@pytest.fixture
def adapter(fresh_sandbox):
    from backend.integrations.gateways.contract import GatewayConfig
    from backend.integrations.gateways.stripe.adapter import StripeAdapter
    return StripeAdapter(GatewayConfig("conn_test", {"api_key": API_KEY}, api_base=fresh_sandbox.url,
                                       timeout_seconds=10))


@pytest.fixture
def stripe_client(fresh_sandbox) -> stripe.StripeClient:
    """A plain SDK client for arranging test data the way a merchant's checkout would."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": fresh_sandbox.url}, max_network_retries=0)


class Make:
    """Arrange sandbox state through the real SDK (customers, charges, prices, coupons)."""

    def __init__(self, client: stripe.StripeClient, sandbox) -> None:
        self.v1, self.sandbox = client.v1, sandbox

    def customer(self, email: str, card: str | None = None) -> str:
        params = {"email": email, "name": email.split("@")[0]}
        if card:
            params |= {"payment_method": card, "invoice_settings": {"default_payment_method": card}}
        return self.v1.customers.create(params).id

    def _intent(self, amount: int, currency: str, capture_method: str, card: str) -> str:
        intent = self.v1.payment_intents.create({
            "amount": amount, "currency": currency, "payment_method": card, "confirm": True,
            "capture_method": capture_method, "payment_method_types": ["card"]})
        return intent.latest_charge

    def paid_charge(self, amount: int, currency: str, card: str = "pm_card_visa") -> str:
        return self._intent(amount, currency, "automatic", card)

    def authorized_charge(self, amount: int, currency: str, card: str = "pm_card_visa") -> str:
        return self._intent(amount, currency, "manual", card)

    def legacy_charge(self, amount: int, currency: str, *, capture: bool) -> str:
        return self.v1.charges.create({"amount": amount, "currency": currency, "source": "tok_visa",
                                       "capture": capture}).id

    def price(self, unit_amount: int, currency: str = "usd", *, nickname: str | None = None,
              interval: str = "month") -> str:
        params = {"unit_amount": unit_amount, "currency": currency, "recurring": {"interval": interval},
                  "product_data": {"name": "Pro plan"}}
        return self.v1.prices.create(params | ({"nickname": nickname} if nickname else {})).id

    def coupon(self, coupon_id: str, percent_off: int = 20) -> str:
        return self.v1.coupons.create({"id": coupon_id, "percent_off": percent_off, "duration": "forever"}).id

    def promotion_code(self, coupon_id: str, code: str) -> str:
        return self.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon_id},
                                               "code": code}).id

    # --- inspection -------------------------------------------------------------------------
    def refunds_of(self, charge_id: str) -> list[dict]:
        """The refunds the sandbox holds for a charge, oldest first."""
        return [r for r in self.sandbox.objects("refund") if r["charge"] == charge_id]

    def posts_to(self, path: str) -> list[str | None]:
        """Idempotency keys of every POST to `path`, in order."""
        return [key for method, logged, key in self.sandbox.request_log
                if method == "POST" and logged == path]


@pytest.fixture
def make(stripe_client, fresh_sandbox) -> Make:
    return Make(stripe_client, fresh_sandbox)

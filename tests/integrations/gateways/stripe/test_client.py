"""client.py: Stripe's error classes onto our taxonomy, and the per-connection StripeClient."""
from __future__ import annotations

import pytest
import stripe

from backend.integrations.gateways.contract import GatewayConfig
from backend.integrations.gateways.errors import (
    GatewayAuthError, GatewayNotFound, GatewayRateLimited, GatewayRejected, GatewayUnavailable,
)
from backend.integrations.gateways.stripe.client import (
    PINNED_API_VERSION, StripeApi, to_gateway_error,
)


def _body(error_type: str, code: str | None = None, message: str = "Stripe says no") -> dict:
    return {"error": {"type": error_type, "code": code, "message": message}}


@pytest.mark.parametrize("exc, expected, code", [
    (stripe.AuthenticationError("bad key", None, 401, _body("invalid_request_error")),
     GatewayAuthError, None),
    (stripe.PermissionError("restricted key", None, 403, _body("invalid_request_error")),
     GatewayAuthError, None),
    (stripe.RateLimitError("slow down", None, 429, _body("rate_limit_error", "rate_limit")),
     GatewayRateLimited, "rate_limit"),
    (stripe.APIConnectionError("connection reset"), GatewayUnavailable, None),
    (stripe.APIError("boom", None, 500, _body("api_error")), GatewayUnavailable, None),
    (stripe.APIError("conflict", None, 409, _body("invalid_request_error", "lock_timeout")),
     GatewayUnavailable, "lock_timeout"),
    (stripe.CardError("Your card was declined.", None, "card_declined", None, 402,
                      _body("card_error", "card_declined")), GatewayRejected, "card_declined"),
    (stripe.InvalidRequestError("too much", "amount", "amount_too_large", None, 400,
                                _body("invalid_request_error", "amount_too_large")),
     GatewayRejected, "amount_too_large"),
    (stripe.IdempotencyError("Keys for idempotent requests can only be used with the same parameters",
                             None, 400, _body("idempotency_error")), GatewayRejected, "idempotency_error"),
    (stripe.InvalidRequestError("No such charge: 'ch_x'", "id", "resource_missing", None, 404,
                                _body("invalid_request_error", "resource_missing")),
     GatewayNotFound, "resource_missing"),
])
def test_error_table(exc, expected, code):
    mapped = to_gateway_error(exc)
    assert type(mapped) is expected
    assert mapped.code == code and mapped.http_status == exc.http_status
    assert mapped.message == exc.user_message
    assert mapped.retryable is (expected in (GatewayRateLimited, GatewayUnavailable))


def test_rate_limit_carries_retry_after():
    exc = stripe.RateLimitError("slow down", None, 429, _body("rate_limit_error"), {"Retry-After": "7"})
    assert to_gateway_error(exc).retry_after == 7.0


def test_missing_api_key_is_an_auth_error():
    with pytest.raises(GatewayAuthError):
        StripeApi(GatewayConfig("conn", {}))


def test_pinned_version_is_the_sdks():
    assert PINNED_API_VERSION == stripe.api_version and PINNED_API_VERSION


def test_reads_are_plain_dicts(adapter, make):
    charge_id = make.paid_charge(1000, "usd")
    charge = StripeApi(adapter.config).retrieve("charges", charge_id)
    assert type(charge) is dict and type(charge["payment_method_details"]) is dict
    assert type(charge["refunds"]["data"]) is list


def test_reusing_a_key_with_other_params_is_rejected(adapter, make):
    charge_id = make.paid_charge(1000, "usd")
    adapter.refund(charge_id=charge_id, amount=100, currency="USD", reason=None, note=None,
                   idempotency_key="run-reused")
    with pytest.raises(GatewayRejected) as caught:
        adapter.refund(charge_id=charge_id, amount=200, currency="USD", reason=None, note=None,
                       idempotency_key="run-reused")
    assert caught.value.code == "idempotency_error" and caught.value.http_status == 400


def test_connections_share_one_http_pool_per_timeout():
    """A fresh adapter per job still reuses open connections to Stripe (one pool per process)."""
    from backend.integrations.gateways.stripe.client import build_stripe_client, shared_http_client

    first = build_stripe_client(GatewayConfig("one", {"api_key": "sk_test_one"}, timeout_seconds=12))
    second = build_stripe_client(GatewayConfig("two", {"api_key": "sk_test_two"}, timeout_seconds=12))
    assert first._requestor._client is second._requestor._client is shared_http_client(12)
    assert shared_http_client(30) is not shared_http_client(12)
    assert first._requestor.api_key == "sk_test_one" and second._requestor.api_key == "sk_test_two"

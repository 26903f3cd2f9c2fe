"""StripeApi.list: list pages through the SDK's requestor as plain dicts, with the SDK's errors."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.integrations.gateways.contract import GatewayConfig
from backend.integrations.gateways.errors import (
    GatewayAuthError, GatewayNotFound, GatewayRejected, GatewayUnavailable,
)
from backend.integrations.gateways.stripe.client import PINNED_API_VERSION, StripeApi

from .conftest import API_KEY


def _api(url: str, key: str = API_KEY) -> StripeApi:
    return StripeApi(GatewayConfig("conn_test", {"api_key": key}, api_base=url, timeout_seconds=10))


def test_pages_are_plain_dicts_and_walk_with_starting_after(fresh_sandbox, make):
    customer = make.customer("pages@example.com")
    charges = [make.paid_charge(amount, "usd") for amount in (100, 200, 300)]
    api = _api(fresh_sandbox.url)
    first = api.list("charges", {"limit": 2})
    assert type(first) is dict and type(first["data"]) is list
    assert type(first["data"][0]) is dict and type(first["data"][0]["payment_method_details"]) is dict
    assert first["has_more"] and [c["id"] for c in first["data"]] == charges[:0:-1]  # newest first
    rest = api.list("charges", {"limit": 2, "starting_after": first["data"][-1]["id"]})
    assert [c["id"] for c in rest["data"]] == charges[:1] and not rest["has_more"]
    customers = api.list("customers", {"limit": 100, "expand": ["data.invoice_settings.default_payment_method"]})
    assert [c["id"] for c in customers["data"]] == [customer]


@pytest.mark.parametrize("arrange, params, expected, code", [
    ("bad_key", {"limit": 10}, GatewayAuthError, None),
    (None, {"limit": 10, "starting_after": "ch_missing"}, GatewayNotFound, "resource_missing"),
    (None, {"limit": 0}, GatewayRejected, None),
    ("fail_500", {"limit": 10}, GatewayUnavailable, None),
])
def test_errors_are_the_sdks_translated(fresh_sandbox, arrange, params, expected, code):
    if arrange == "fail_500":
        fresh_sandbox.fail_next(status=500, path_prefix="/v1/charges")
    api = _api(fresh_sandbox.url, key="pk_not_a_secret_key" if arrange == "bad_key" else API_KEY)
    with pytest.raises(expected) as caught:
        api.list("charges", params)
    assert type(caught.value) is expected and caught.value.code == code
    assert caught.value.http_status == {GatewayAuthError: 401, GatewayNotFound: 404,
                                        GatewayRejected: 400, GatewayUnavailable: 500}[expected]


class _Stub(BaseHTTPRequestHandler):
    """Answers every GET with the server's canned reply and remembers what it was sent."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.seen.append((self.path, dict(self.headers)))
        status, body = self.server.reply
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    server.seen, server.reply = [], (200, b"{}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_request_carries_key_pinned_version_and_encoded_params(stub):
    stub.reply = (200, json.dumps({"object": "list", "data": [], "has_more": False}).encode())
    page = _api(f"http://127.0.0.1:{stub.server_port}").list(
        "subscriptions", {"limit": 100, "status": "all", "starting_after": "sub_1",
                          "expand": ["data.discounts.promotion_code"]})
    assert page == {"object": "list", "data": [], "has_more": False}
    path, headers = stub.seen[-1]
    url = urlsplit(path)
    assert url.path == "/v1/subscriptions"
    assert parse_qs(url.query) == {"limit": ["100"], "status": ["all"], "starting_after": ["sub_1"],
                                   "expand[0]": ["data.discounts.promotion_code"]}
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["Stripe-Version"] == PINNED_API_VERSION


@pytest.mark.parametrize("status", [200, 502])
def test_unreadable_body_is_unavailable(stub, status):
    stub.reply = (status, b"<html>gateway hiccup</html>")
    with pytest.raises(GatewayUnavailable) as caught:
        _api(f"http://127.0.0.1:{stub.server_port}").list("charges", {"limit": 1})
    assert caught.value.http_status == status

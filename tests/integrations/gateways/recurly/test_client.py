"""client.py: the connection factory really reaches the sandbox; SDK errors map to our taxonomy."""
from __future__ import annotations

import base64
import http.client

import pytest

from backend.integrations.gateways.errors import (GatewayAuthError, GatewayNotFound,
                                                  GatewayRateLimited, GatewayRejected,
                                                  GatewayUnavailable)
from backend.integrations.gateways.records import ObjectKind
from backend.integrations.gateways.recurly.client import (RecurlyClient, build_sdk_client,
                                                          connection_for, sdk_connection)
from backend.integrations.gateways.recurly.sandbox import RecurlySandbox
from backend.integrations.gateways.sandbox_server import serve_in_thread


def test_requests_reach_the_sandbox_with_recurly_auth_and_version(sandbox, adapter, make_account):
    account = make_account("grace")
    before = len(sandbox.requests)

    record = adapter.fetch(ObjectKind.CUSTOMER, account.id)

    assert record.email == "grace@example.com"
    logged = sandbox.requests[before:]
    assert [(r["method"], r["path"]) for r in logged] == [("GET", f"/accounts/{account.id}")]
    headers = logged[0]["headers"]
    assert headers["Accept"] == "application/vnd.recurly.v2021-02-25"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"test-api-key:").decode()


def test_sdk_connection_is_the_loopback_one(config, sandbox):
    sdk = build_sdk_client(config)
    conn = sdk_connection(sdk)
    assert type(conn) is http.client.HTTPConnection  # not HTTPS to v3.recurly.com
    assert f"http://{conn.host}:{conn.port}" == sandbox.url
    assert conn.timeout == config.timeout_seconds


def test_eu_region_uses_the_sdk_eu_host_without_network(config):
    eu = build_sdk_client(config.__class__(connection_id="eu", credentials={"api_key": "k"},
                                           settings={"region": "eu"}))
    conn = sdk_connection(eu)
    assert (conn.host, conn.port) == ("v3.eu.recurly.com", 443)
    assert isinstance(conn, http.client.HTTPSConnection)


@pytest.mark.parametrize("api_base", ["http://example.com:8080", "ftp://127.0.0.1:1",
                                      "http://127.0.0.1:9000/recurly", "127.0.0.1:9000"])
def test_connection_factory_refuses_unsafe_or_ambiguous_bases(api_base):
    with pytest.raises(ValueError):
        connection_for(api_base, timeout=1)


def test_https_base_for_a_proxy_keeps_tls():
    conn = connection_for("https://recurly-proxy.internal:8443", timeout=3)
    assert isinstance(conn, http.client.HTTPSConnection)
    assert (conn.host, conn.port) == ("recurly-proxy.internal", 8443)


def test_wrong_api_key_is_an_auth_error(config):
    client = RecurlyClient(config.__class__(**{**config.__dict__,
                                               "credentials": {"api_key": "wrong"}}))
    with pytest.raises(GatewayAuthError) as caught:
        client.get_account("code-anyone")
    assert caught.value.http_status == 401
    assert caught.value.code == "unauthorized"


def test_missing_api_key_is_an_auth_error(config):
    with pytest.raises(GatewayAuthError):
        RecurlyClient(config.__class__(connection_id="x", credentials={}))


def test_not_found_maps_to_gateway_not_found(adapter):
    with pytest.raises(GatewayNotFound) as caught:
        adapter.fetch(ObjectKind.CUSTOMER, "nosuchaccount")
    assert caught.value.code == "not_found"
    assert "nosuchaccount" in caught.value.message


@pytest.mark.parametrize("status, error", [(500, GatewayUnavailable), (502, GatewayUnavailable),
                                           (503, GatewayUnavailable), (504, GatewayUnavailable),
                                           (429, GatewayRateLimited), (403, GatewayAuthError),
                                           (400, GatewayRejected)])
def test_http_failures_map_by_kind(sandbox, adapter, make_account, status, error):
    account = make_account("lin")
    sandbox.fail_next(1, status=status, path_prefix="/accounts")
    with pytest.raises(error) as caught:
        adapter.fetch(ObjectKind.CUSTOMER, account.id)
    assert caught.value.http_status == status
    assert caught.value.retryable is (error in (GatewayUnavailable, GatewayRateLimited))
    assert adapter.fetch(ObjectKind.CUSTOMER, account.id).external_id == account.id  # recovers


def test_validation_error_carries_recurly_message_and_type(adapter, sdk, make_account):
    make_account("dup")
    with pytest.raises(Exception) as raw:
        sdk.create_account({"code": "dup"})
    assert type(raw.value).__name__ == "ValidationError"  # the SDK's typed error, from our JSON
    client = adapter._client
    with pytest.raises(GatewayRejected) as caught:
        client.update_account("code-dup", {"code": "x"}, idempotency_key="k-dup")
    assert caught.value.code == "validation"
    assert "code" in caught.value.message


def test_every_write_sends_the_idempotency_key(sandbox, adapter, make_account):
    account = make_account("kim")
    adapter.add_tax_id(customer_id=account.id, type="eu_vat", value="DE123456789",
                       idempotency_key="run-42")
    writes = [r for r in sandbox.requests if r["method"] in ("POST", "PUT", "DELETE")]
    assert writes[-1]["path"] == f"/accounts/{account.id}"
    assert writes[-1]["headers"]["Idempotency-Key"] == "run-42"
    with pytest.raises(ValueError):
        adapter._client.update_account(account.id, {}, idempotency_key="")


def test_timeout_is_unavailable_and_the_next_call_uses_a_fresh_connection(sandbox, config):
    client = RecurlyClient(config.__class__(**{**config.__dict__, "timeout_seconds": 0.3}))
    client.get_plan("code-basic")
    sandbox.delay_next(0.8, path_prefix="/plans")
    with pytest.raises(GatewayUnavailable) as caught:
        client.get_plan("code-basic")
    assert "timed out" in caught.value.message
    assert client.get_plan("code-basic").code == "basic"  # not CannotSendRequest


def test_stopped_server_is_unavailable_and_the_client_recovers_when_it_returns():
    sandbox = RecurlySandbox(api_key="k")
    sandbox.start()
    port = int(sandbox.url.rsplit(":", 1)[1])
    client = RecurlyClient(sandbox.gateway_config(timeout_seconds=2.0))
    assert client.get_plan("code-basic").code == "basic"
    sandbox.stop()
    with pytest.raises(GatewayUnavailable) as caught:
        client.get_plan("code-basic")
    assert "could not be reached" in caught.value.message
    again = serve_in_thread(sandbox.app, port=port)
    try:
        assert client.get_plan("code-basic").code == "basic"
    finally:
        again.stop()

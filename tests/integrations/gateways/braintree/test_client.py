"""client.py: environment selection and the mapping of SDK failures onto our error taxonomy."""
from __future__ import annotations

import socket

import braintree
import pytest

from backend.integrations.gateways import GatewayConfig, build_adapter
from backend.integrations.gateways.braintree.client import environment_for
from backend.integrations.gateways.errors import (
    GatewayNotFound, GatewayRateLimited, GatewayUnavailable,
)
from backend.integrations.gateways.records import ObjectKind

KEYS = {"merchant_id": "m", "public_key": "pub", "private_key": "priv"}


def test_environment_follows_the_config():
    assert environment_for(GatewayConfig("c", KEYS)) is braintree.Environment.Production
    sandbox = GatewayConfig("c", KEYS, settings={"environment": "sandbox"})
    assert environment_for(sandbox) is braintree.Environment.Sandbox
    local = environment_for(GatewayConfig("c", KEYS, api_base="http://127.0.0.1:8440"))
    assert (local.base_url, local.is_ssl) == ("http://127.0.0.1:8440", False)


def test_rate_limit_is_retryable(adapter, sandbox, make_sale):
    sale = make_sale()
    sandbox.fail_next(1, status=429)
    with pytest.raises(GatewayRateLimited) as caught:
        adapter.fetch(ObjectKind.CHARGE, sale.id)
    assert caught.value.retryable


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_side_failures_are_unavailable(adapter, sandbox, status):
    sandbox.fail_next(1, status=status)
    with pytest.raises(GatewayUnavailable):
        adapter.list_page(ObjectKind.CUSTOMER, cursor=None)


def test_connection_refused_is_unavailable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = GatewayConfig("c", KEYS, api_base=f"http://127.0.0.1:{port}", timeout_seconds=2)
    with pytest.raises(GatewayUnavailable):
        build_adapter("braintree", config).fetch(ObjectKind.CUSTOMER, "cus_1")


def test_missing_objects_are_not_found(adapter):
    for kind in (ObjectKind.CUSTOMER, ObjectKind.SUBSCRIPTION, ObjectKind.DISPUTE,
                 ObjectKind.REFUND):
        with pytest.raises(GatewayNotFound):
            adapter.fetch(kind, "missing1")

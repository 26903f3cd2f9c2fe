"""Fixtures: one loopback WooCommerce sandbox per module (reset per test), the adapter, the real SDK."""
from __future__ import annotations

import logging

import pytest
from woocommerce import API

from backend.integrations.gateways import build_adapter

WEBHOOK_SECRET = "wc-test-webhook-secret"


@pytest.fixture(scope="module")
def running_sandbox():
    from backend.integrations.gateways.woocommerce.sandbox import WooCommerceSandbox

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = WooCommerceSandbox()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox):
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def adapter(sandbox):
    return build_adapter("woocommerce", sandbox.gateway_config(webhook_secrets=(WEBHOOK_SECRET,)))


@pytest.fixture
def sdk(sandbox):
    """The real SDK pointed at the sandbox (OAuth 1.0a over http), for arranging and cross-checks."""
    return API(url=sandbox.url, consumer_key=sandbox.store.consumer_key,
               consumer_secret=sandbox.store.consumer_secret, version="wc/v3")

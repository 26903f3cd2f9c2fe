"""Fixtures: one loopback PayPal sandbox per module (reset per test) and the adapter built through the registry."""
from __future__ import annotations

import logging

import pytest

from backend.integrations.gateways import build_adapter


@pytest.fixture(scope="module")
def running_sandbox():
    from backend.integrations.gateways.paypal.sandbox import PayPalSandbox

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sandbox = PayPalSandbox()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sandbox(running_sandbox):
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def adapter(sandbox):
    return build_adapter("paypal", sandbox.gateway_config())

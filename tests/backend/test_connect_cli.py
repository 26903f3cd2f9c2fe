"""The real `chargedesk connect <gateway>` and `chargedesk sync` against running loopback sandboxes.

Each gateway's sandbox runs in this process (the contract suite's harnesses start and seed it);
the CLI runs as a subprocess and reaches it over loopback, as an operator's shell would.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from backend.integrations.gateways.records import ObjectKind
from tests.conftest import run_cli
from tests.integrations.gateways.contract_harness import HARNESSES

WEBHOOK_SECRETS = {"stripe": "whsec_cli_stripe_0123456789", "recurly": "whsec-cli-recurly"}
# The flags an operator types, spelled out per gateway (documented in the issue and README).
CONNECT_FLAGS = {
    "stripe": lambda c: ["--api-key", c["api_key"], "--webhook-secret", WEBHOOK_SECRETS["stripe"]],
    "braintree": lambda c: ["--merchant-id", c["merchant_id"], "--public-key", c["public_key"],
                            "--private-key", c["private_key"]],
    "recurly": lambda c: ["--api-key", c["api_key"], "--webhook-secret", WEBHOOK_SECRETS["recurly"]],
}
WRONG_CREDENTIALS = {  # a publishable key pasted for a secret one; a stale private key; a typo
    "stripe": {"api_key": "pk_test_not_a_secret_key"},
    "braintree": {"private_key": "revoked_private_key"},
    "recurly": {"api_key": "recurly-key-with-a-typo"},
}
REQUIRED_FLAG = {"stripe": "--api-key", "braintree": "--private-key", "recurly": "--api-key"}
SECRET_VALUES = {"stripe": ("api_key",), "braintree": ("private_key",), "recurly": ("api_key",)}


@pytest.fixture(scope="module", params=sorted(CONNECT_FLAGS))
def running(request):
    harness = HARNESSES[request.param]()
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def gateway(running):
    running.reset()
    return running


@pytest.fixture
def cli_env(worker_env, account):
    return worker_env


def connect_args(gateway, **credential_overrides) -> list[str]:
    config = gateway.config()
    credentials = {**config.credentials, **credential_overrides}
    return ["connect", gateway.name, "acme", *CONNECT_FLAGS[gateway.name](credentials),
            "--api-base", config.api_base]


def one_error_line(result) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chargedesk: error:"), result.stderr
    return lines[0]


def connections() -> list:
    from backend.db import session
    from backend.models import GatewayConnection

    session().expire_all()
    return list(session().scalars(select(GatewayConnection)))


def test_connect_prints_the_new_id_last_and_stores_credentials_encrypted(gateway, cli_env):
    result = run_cli(connect_args(gateway), cli_env)
    assert result.returncode == 0, result.stderr
    new_id = result.stdout.strip().splitlines()[-1]
    assert new_id.isdigit()
    (stored,) = connections()
    config = gateway.config()
    assert (stored.id, stored.kind, stored.api_base) == (int(new_id), gateway.name, config.api_base)
    assert stored.credentials == dict(config.credentials)
    expected_secrets = [WEBHOOK_SECRETS[gateway.name]] if gateway.name in WEBHOOK_SECRETS else None
    assert stored.webhook_secrets == expected_secrets
    raw = raw_columns(stored.id)
    for name in SECRET_VALUES[gateway.name]:
        assert config.credentials[name] not in raw
    for secret in expected_secrets or ():
        assert secret not in raw


def raw_columns(connection_id: int) -> str:
    """The credentials and webhook secret columns as the database holds them."""
    from backend import db

    with db.engine().connect() as conn:
        row = conn.execute(text("SELECT credentials, webhook_secrets FROM gateway_connections "
                                "WHERE id = :id"), {"id": connection_id}).one()
    return " ".join(str(value) for value in row)


def test_refused_credentials_are_one_line_and_store_nothing(gateway, cli_env):
    result = run_cli(connect_args(gateway, **WRONG_CREDENTIALS[gateway.name]), cli_env)
    line = one_error_line(result)
    assert f"{gateway.name} refused these credentials" in line
    assert connections() == []


def test_missing_required_option_is_one_line(gateway, cli_env):
    flag = REQUIRED_FLAG[gateway.name]
    args = connect_args(gateway)
    at = args.index(flag)
    line = one_error_line(run_cli(args[:at] + args[at + 2:], cli_env))
    assert flag in line
    assert connections() == []


@pytest.mark.parametrize("running", ["recurly"], indirect=True)
def test_recurly_needs_a_webhook_secret(gateway, cli_env):
    args = connect_args(gateway)
    at = args.index("--webhook-secret")
    line = one_error_line(run_cli(args[:at] + args[at + 2:], cli_env))
    assert "--webhook-secret" in line
    assert connections() == []


def test_unknown_account_and_bad_api_base_are_one_line(gateway, cli_env):
    args = connect_args(gateway)
    assert "no account" in one_error_line(run_cli([*args[:2], "nobody", *args[3:]], cli_env))
    bad_base = [*args[:-1], "ftp://127.0.0.1:1"]
    assert "--api-base" in one_error_line(run_cli(bad_base, cli_env))
    assert connections() == []


def test_unreachable_api_base_is_one_line(gateway, cli_env):
    """Nothing listens on port 1; Stripe's SDK phrases that over several lines."""
    line = one_error_line(run_cli([*connect_args(gateway)[:-1], "http://127.0.0.1:1"], cli_env))
    assert f"could not reach {gateway.name}" in line
    assert connections() == []


@pytest.mark.parametrize("running", ["recurly"], indirect=True)
def test_settings_the_adapter_refuses_are_one_line(gateway, cli_env):
    """Recurly's client sends keys over plain http only to loopback, and takes no base path."""
    args = connect_args(gateway)
    for base in ("http://192.0.2.10:8080", f"{gateway.config().api_base}/v2021-02-25"):
        line = one_error_line(run_cli([*args[:-1], base, "--no-verify"], cli_env))
        assert "cannot use these recurly settings" in line and base in line
    assert connections() == []


def test_sync_mirrors_the_sandbox(gateway, cli_env):
    customers = [gateway.customer(f"cli{n}@example.com") for n in range(2)]
    charges = [gateway.settled_charge(customers[0], 1500 + n, "USD") for n in range(3)]
    adapter = gateway.adapter()
    adapter.refund(charge_id=charges[0], amount=None, currency="USD", reason=None, note=None,
                   idempotency_key="cli-refund")
    connection_id = run_cli(connect_args(gateway), cli_env).stdout.strip().splitlines()[-1]

    synced = run_cli(["sync", connection_id], cli_env)

    assert synced.returncode == 0, synced.stderr
    counts = dict((kind, int(n.replace(",", ""))) for kind, n in
                  re.findall(r"(\w+) ([\d,]+)", synced.stdout.strip().splitlines()[-1]))
    assert (counts["customer"], counts["charge"], counts["refund"]) == (2, 3, 1)
    assert mirrored(int(connection_id)) == {ObjectKind.CUSTOMER: 2, ObjectKind.CHARGE: 3,
                                            ObjectKind.REFUND: 1}
    refunded = mirrored_charge(int(connection_id), charges[0])
    assert (refunded.amount_minor, refunded.amount_refunded_minor) == (1500, 1500)


def mirrored(connection_id: int) -> dict[ObjectKind, int]:
    from backend.db import session
    from backend.models import Charge, Customer, Refund

    models = {ObjectKind.CUSTOMER: Customer, ObjectKind.CHARGE: Charge, ObjectKind.REFUND: Refund}
    return {kind: session().scalar(select(func.count()).select_from(model)
                                   .where(model.connection_id == connection_id))
            for kind, model in models.items()}


def mirrored_charge(connection_id: int, external_id: str):
    from backend.db import session
    from backend.models import Charge

    return session().scalars(select(Charge).where(Charge.connection_id == connection_id,
                                                  Charge.external_id == external_id)).one()

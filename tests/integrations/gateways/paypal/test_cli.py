"""`chargedesk connect paypal ACCOUNT ...` and `chargedesk sync` (subprocesses) against the sandbox."""
from __future__ import annotations

from sqlalchemy import func, select

from backend.db import session
from tests.conftest import run_cli


def connect_args(sandbox, *extra, secret=None) -> list[str]:
    return ["connect", "paypal", "acme", "--client-id", sandbox.store.client_id,
            "--client-secret", secret or sandbox.store.client_secret, "--webhook-id", sandbox.webhook_id,
            "--api-base", sandbox.url, *extra]


def connections() -> list:
    from backend.models import GatewayConnection

    session().expire_all()
    return list(session().scalars(select(GatewayConnection)))


def one_error_line(result) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chargedesk: error:"), result.stderr
    return lines[0]


def test_connect_stores_the_webhook_id_then_sync_mirrors_the_account(sandbox, worker_env, account):
    from backend.models import Charge, Customer, Invoice, Refund, Subscription

    capture = sandbox.add_capture("ada@example.com", "40.00")
    sandbox.add_refund(capture, "15.00")
    sandbox.add_authorization("ada@example.com", "12.00")
    sandbox.add_subscription("grace@example.com")
    sandbox.add_invoice("grace@example.com")
    result = run_cli(connect_args(sandbox), worker_env)
    assert result.returncode == 0, result.stderr
    assert f"webhooks: POST /webhooks/paypal/{result.stdout.split()[-1]}" in result.stdout
    (stored,) = connections()
    assert (stored.credentials["webhook_id"], stored.api_base, stored.webhook_secrets) == (
        sandbox.webhook_id, sandbox.url, None)
    synced = run_cli(["sync", str(stored.id)], worker_env)
    assert synced.returncode == 0, synced.stderr
    counts = {model.__name__: session().scalar(select(func.count()).select_from(model))
              for model in (Customer, Charge, Refund, Invoice, Subscription)}
    assert counts == {"Customer": 2, "Charge": 2, "Refund": 1, "Invoice": 1, "Subscription": 1}
    charge = session().scalars(select(Charge).where(Charge.external_id == capture)).one()
    assert (charge.amount_minor, charge.amount_refunded_minor, charge.customer_id is not None) == (4000, 1500, True)


def test_no_verify_stores_without_a_call(sandbox, worker_env, account):
    result = run_cli(connect_args(sandbox, "--no-verify"), worker_env)
    assert result.returncode == 0, result.stderr
    assert connections()[0].api_base == sandbox.url
    assert sandbox.requests == []


def test_bad_input_is_one_line_and_stores_nothing(sandbox, worker_env, account):
    assert "paypal refused these credentials" in one_error_line(
        run_cli(connect_args(sandbox, secret="wrong"), worker_env))
    args = connect_args(sandbox)
    at = args.index("--client-id")
    assert "--client-id" in one_error_line(run_cli(args[:at] + args[at + 2:], worker_env))
    assert "could not reach paypal" in one_error_line(run_cli([*args[:-1], "http://127.0.0.1:1"], worker_env))
    assert "--api-base must be an http(s) URL" in one_error_line(run_cli([*args[:-1], "ftp://x"], worker_env))
    assert connections() == []

"""`chargedesk connect woocommerce ACCOUNT ...` and `chargedesk sync` (subprocesses) against the sandbox."""
from __future__ import annotations

from sqlalchemy import func, select

from backend.db import session
from tests.conftest import run_cli

from .conftest import WEBHOOK_SECRET


def connect_args(sandbox, *extra, secret=None) -> list[str]:
    return ["connect", "woocommerce", "acme", "--consumer-key", sandbox.store.consumer_key,
            "--consumer-secret", secret or sandbox.store.consumer_secret, "--webhook-secret", WEBHOOK_SECRET,
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


def test_connect_detects_the_subscriptions_extension_then_sync_mirrors_the_shop(sandbox, worker_env, account):
    from backend.models import Charge, Customer, Invoice, Refund, Subscription

    customer = sandbox.add_customer("ada@example.com")
    order = sandbox.add_order(total="40.00", customer_id=customer["id"])
    sandbox.add_refund(order["id"], "15.00")
    sandbox.add_order(total="9.99", email="guest@example.com", status="pending")  # awaiting payment
    sandbox.add_subscription(customer["id"])
    result = run_cli(connect_args(sandbox), worker_env)
    assert result.returncode == 0, result.stderr
    assert f"webhooks: POST /webhooks/woocommerce/{result.stdout.split()[-1]}" in result.stdout
    (stored,) = connections()
    assert stored.settings == {"subscriptions_extension": True}
    synced = run_cli(["sync", str(stored.id)], worker_env)
    assert synced.returncode == 0, synced.stderr
    # customers: Ada and the guest's billing email; both orders are charges, the unpaid one an invoice
    assert synced.stdout.strip() == "synced 7 objects: customer 2, charge 2, refund 1, invoice 1, subscription 1"
    counts = {model.__name__: session().scalar(select(func.count()).select_from(model))
              for model in (Customer, Charge, Refund, Invoice, Subscription)}
    assert counts == {"Customer": 2, "Charge": 2, "Refund": 1, "Invoice": 1, "Subscription": 1}


def test_no_verify_stores_without_a_call_and_detects_nothing(sandbox, worker_env, account):
    result = run_cli(connect_args(sandbox, "--no-verify"), worker_env)
    assert result.returncode == 0, result.stderr
    (stored,) = connections()
    assert stored.settings == {} and stored.api_base == sandbox.url
    assert sandbox.requests == []


def test_a_shop_without_the_extension_is_stored_as_such(sandbox, worker_env, account):
    sandbox.reset(subscriptions=False)
    assert run_cli(connect_args(sandbox), worker_env).returncode == 0
    assert connections()[0].settings == {"subscriptions_extension": False}


def test_bad_input_is_one_line_and_stores_nothing(sandbox, worker_env, account):
    assert "woocommerce refused these credentials" in one_error_line(
        run_cli(connect_args(sandbox, secret="cs_wrong"), worker_env))
    args = connect_args(sandbox)
    at = args.index("--webhook-secret")
    assert "--webhook-secret" in one_error_line(run_cli(args[:at] + args[at + 2:], worker_env))
    at = args.index("--api-base")
    assert "--store-url" in one_error_line(run_cli(args[:at] + args[at + 2:], worker_env))
    assert "could not reach woocommerce" in one_error_line(
        run_cli([*args[:-1], "http://127.0.0.1:1"], worker_env))
    assert connections() == []

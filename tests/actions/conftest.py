"""Fixtures for the action pipeline: the Stripe sandbox, a mirrored Stripe connection, principals.

Sandbox state is arranged through the real Stripe SDK (as a merchant's checkout would), mirrored
with the same sync code production uses, then acted on through the real API and a real worker.
"""
from __future__ import annotations

import secrets
import time
import uuid
from types import SimpleNamespace

import pytest
import stripe
from sqlalchemy import select

from tests.conftest import wait_for

API_KEY = "sk_test_chargedesk_actions"


@pytest.fixture(scope="session")
def sandbox():
    from backend.integrations.gateways.stripe.sandbox import StripeSandbox

    running = StripeSandbox()
    running.start()
    yield running
    running.stop()


@pytest.fixture
def sb(sandbox):
    sandbox.reset()
    return sandbox


class Shop:
    """The merchant's side: customers, charges, prices and subscriptions made through the SDK."""

    def __init__(self, sb):
        self.sb = sb
        self.v1 = stripe.StripeClient(API_KEY, base_addresses={"api": sb.url}, max_network_retries=0).v1

    def customer(self, email: str = "buyer@example.com") -> str:
        return self.v1.customers.create({"email": email, "name": "Bea Buyer", "payment_method": "pm_card_visa",
                                         "invoice_settings": {"default_payment_method": "pm_card_visa"}}).id

    def charge(self, customer: str, amount: int = 2000, currency: str = "usd", *, capture: bool = True) -> str:
        intent = self.v1.payment_intents.create({
            "amount": amount, "currency": currency, "customer": customer, "payment_method": "pm_card_visa",
            "confirm": True, "capture_method": "automatic" if capture else "manual",
            "payment_method_types": ["card"]})
        return intent.latest_charge

    def price(self, unit_amount: int = 1500) -> str:
        return self.v1.prices.create({"unit_amount": unit_amount, "currency": "usd", "recurring": {"interval": "month"},
                                      "product_data": {"name": "Pro plan"}, "nickname": "Pro plan"}).id

    def subscription(self, customer: str, price: str) -> str:
        return self.v1.subscriptions.create({"customer": customer, "items": [{"price": price}]}).id

    def refunds_of(self, charge_id: str) -> list[dict]:
        return [r for r in self.sb.objects("refund") if r["charge"] == charge_id]

    def posts(self, prefix: str = "/v1/") -> list[str]:
        return [path for method, path, _key in self.sb.request_log if method == "POST" and path.startswith(prefix)]


@pytest.fixture
def shop(sb) -> Shop:
    return Shop(sb)


@pytest.fixture
def connection(account, sb):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                 credentials={"api_key": API_KEY}, api_base=sb.url)
        s.add(conn)
    return conn


@pytest.fixture
def mirror(connection):
    """mirror() copies everything in the sandbox into our tables, as a backfill would."""
    from backend.db import session
    from backend.sync.backfill import sync_connection_now

    def run():
        sync_connection_now(connection.id)
        session().expire_all()

    return run


def row(model, **by):
    """The mirrored row with these column values (fresh from the database)."""
    from backend.db import session

    session().expire_all()
    return session().scalars(select(model).filter_by(**by)).one()


def run_row(run_id: str):
    from backend.models import ActionRun

    return row(ActionRun, id=run_id)


def wait_status(run_id: str, *statuses: str, timeout: float = 20.0):
    return wait_for(lambda: (r := run_row(run_id)).status in statuses and r, timeout=timeout,
                    message=f"run {run_id} to become {'/'.join(statuses)}")


def audit_events(account_id: int, run_id: str | None = None) -> list[str]:
    from backend.db import session
    from backend.models import AuditEntry

    session().expire_all()
    stmt = select(AuditEntry.event).where(AuditEntry.account_id == account_id).order_by(AuditEntry.seq)
    if run_id:
        stmt = stmt.where(AuditEntry.subject_id == run_id)
    return list(session().scalars(stmt))


@pytest.fixture
def act(client, auth_headers):
    """act(kind, target, **body) -> response of POST /api/v1/actions (a fresh key unless given)."""
    def post(kind: str, target: int, headers: dict | None = None, **body):
        body.setdefault("idempotency_key", str(uuid.uuid4()))
        return client.post("/api/v1/actions", json={"kind": kind, "target": target, **body},
                           headers=headers or auth_headers)
    return post


@pytest.fixture
def sidebar_agent(account):
    """sidebar_headers(role, limit) -> .headers (a helpdesk agent's sidebar token), .user_id, .installation_id."""
    from backend.accounts import add_user
    from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token
    from backend.db import transaction
    from backend.models import HelpdeskInstallation

    def make(role: str = "agent", refund_limit_minor: int | None = None, name: str = "Ann Agent",
             host: str = "zendesk", installation: dict | None = None) -> SimpleNamespace:
        with transaction() as s:
            user = add_user(s, account, email=f"{role}-{secrets.token_hex(3)}@acme.test", role=role, name=name,
                            refund_limit_minor=refund_limit_minor)
            installation = HelpdeskInstallation(**{
                "account_id": account.id, "kind": host, "external_id": f"acme-{secrets.token_hex(3)}",
                "status": "active", **(installation or {})})
            s.add(installation)
            s.flush()
        token = mint_sidebar_token(SidebarClaims(account_id=account.id, installation_id=installation.id,
                                                 user_id=user.id, host=host, external_user_id="zd-42"))
        return SimpleNamespace(headers={"Authorization": f"Bearer {token}"}, user_id=user.id,
                               installation_id=installation.id)

    return make


def settle(seconds: float = 1.0) -> None:
    """Give a running worker time to do something it should not (then assert it did not)."""
    time.sleep(seconds)

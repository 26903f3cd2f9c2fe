"""Fixtures: a loopback Help Scout emulator with ChargeDesk's OAuth app, a user and a conversation."""
from __future__ import annotations

import pytest

from backend.integrations.helpdesks.helpscout.emulator import HelpScoutEmulator

CLIENT_ID = "hs-chargedesk-test"
CLIENT_SECRET = "helpscout-client-secret-for-tests"
REDIRECT_URI = "http://testserver/admin/oauth/helpscout/callback"
APP_SECRET_KEY = "hs-app-secret-key-0123456789"


@pytest.fixture(scope="session")
def helpscout_server():
    emulator = HelpScoutEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def helpscout(helpscout_server):
    """The emulator, reset, with ChargeDesk's OAuth app registered."""
    helpscout_server.reset()
    helpscout_server.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI)
    return helpscout_server


@pytest.fixture
def oauth_app():
    from backend.integrations.helpdesks.helpscout.oauth import OAuthClientConfig

    return OAuthClientConfig(CLIENT_ID, CLIENT_SECRET)


@pytest.fixture
def hs_admin(helpscout):
    return helpscout.add_user(email="olga@acme.test", first_name="Olga", last_name="Owner", role="owner")


@pytest.fixture
def configured(helpscout, app, monkeypatch):
    """The app's Help Scout OAuth app points at the emulator's."""
    extra = app.config["SETTINGS"].extra
    monkeypatch.setitem(extra, "HELPSCOUT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setitem(extra, "HELPSCOUT_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setitem(extra, "HELPSCOUT_BASE_URL", helpscout.url)
    return helpscout


@pytest.fixture
def installation(configured, account, hs_admin):
    """Acme's Help Scout installation (secret key, emulator base, OAuth tokens of Olga, linked to our owner)."""
    from backend.db import transaction
    from backend.integrations.helpdesks.helpscout.seeding import install_for_account
    from backend.models import User

    with transaction() as s:
        owner = s.query(User).filter_by(account_id=account.id, role="owner").one()
        return install_for_account(s, account, configured, secret_key=APP_SECRET_KEY, client_id=CLIENT_ID,
                                   admin=owner, admin_helpscout_id=hs_admin.id)


@pytest.fixture
def billing(account):
    """Ada's Stripe mirror: $20.00 and $49.00 charges and a Pro subscription."""
    from tests.sidebar.conftest import Mirror

    mirror = Mirror(account)
    conn = mirror.connection()
    customer, customer_id = mirror.customer(conn, "ada@example.com", name="Ada Lovelace")
    small = mirror.charge(conn, customer, 2000)
    large = mirror.charge(conn, customer, 4900, days_ago=3)
    subscription = mirror.subscription(conn, customer)
    return {"customer_id": customer_id, "small": small, "large": large, "subscription": subscription}

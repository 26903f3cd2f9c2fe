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

"""Fixtures: a loopback Zendesk emulator, the app pointed at it, a connected installation."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from backend.integrations.helpdesks.zendesk.emulator import ZendeskEmulator

CLIENT_ID = "zdg-chargedesk-test"
CLIENT_SECRET = "zendesk-client-secret-for-tests"
SUBDOMAIN = "acme"


@pytest.fixture(scope="session")
def emulator_server():
    emulator = ZendeskEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def zendesk(emulator_server, app, monkeypatch):
    """The emulator, reset, with our OAuth client registered and the app configured to use it."""
    emulator_server.reset()
    emulator_server.register_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=(
        "http://testserver/admin/oauth/zendesk/callback",))
    extra = app.config["SETTINGS"].extra
    monkeypatch.setitem(extra, "ZENDESK_BASE_URL", emulator_server.base_url_template)
    monkeypatch.setitem(extra, "ZENDESK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setitem(extra, "ZENDESK_CLIENT_SECRET", CLIENT_SECRET)
    return emulator_server


@pytest.fixture
def connected(zendesk, account):
    """The `acme` account's Zendesk installation (tokens, app key, installation id)."""
    from backend.db import transaction
    from backend.integrations.helpdesks.zendesk.emulator.seeding import install_for_account
    from backend.models import User

    with transaction() as s:
        owner = s.query(User).filter_by(account_id=account.id, role="owner").one()
        return install_for_account(s, account, zendesk, client_id=CLIENT_ID, subdomain=SUBDOMAIN, admin=owner)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def local_path(url: str) -> str:
    """'http://testserver/admin/x?y=1' -> '/admin/x?y=1' for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def oauth_sign_in(client, emulator, *, subdomain: str, user_id: int, allow: bool = True):
    """Drive the whole sign-in: our form -> emulator consent -> our callback. Returns the callback response."""
    page = client.get("/admin/sign-in")
    started = client.post("/admin/sign-in", data={"subdomain": subdomain, "csrf_token": csrf_from(page.text)})
    assert started.status_code == 302, started.text
    callback = emulator.approve(started.headers["Location"], user_id=user_id, allow=allow)
    return client.get(local_path(callback))

"""The admin page: CSRF on every form, agents' roles and limits, the Zendesk app settings."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db import session, transaction
from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair
from backend.models import GatewayConnection, HelpdeskInstallation, User

from .conftest import SUBDOMAIN, csrf_from, oauth_sign_in


@pytest.fixture
def admin_browser(app, connected, zendesk):
    """A browser signed in as the account owner (a Zendesk admin)."""
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=connected.admin_zendesk_id).status_code == 302
    return browser


def user(email: str) -> User:
    session().expire_all()
    return session().scalars(select(User).where(User.email == email)).one()


def add_agent(account, email="al@acme.test", role="agent", limit=None) -> int:
    with transaction() as s:
        row = User(account_id=account.id, email=email, role=role, name="Al Agent", refund_limit_minor=limit)
        s.add(row)
        s.flush()
        return row.id


def test_post_without_csrf_token_is_400_and_changes_nothing(admin_browser, account):
    agent_id = add_agent(account)
    response = admin_browser.post(f"/admin/users/{agent_id}", data={"role": "admin", "refund_limit": "50"})
    assert response.status_code == 400 and "expired" in response.text
    wrong = admin_browser.post(f"/admin/users/{agent_id}", data={"role": "admin", "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert user("al@acme.test").role == "agent"


def test_sign_in_form_needs_csrf_too(client, zendesk):
    assert client.post("/admin/sign-in", data={"subdomain": "acme"}).status_code == 400


def test_dashboard_shows_account_connections_installation_and_agents(admin_browser, account):
    with transaction() as s:
        s.add(GatewayConnection(account_id=account.id, kind="stripe", name="Main Stripe",
                                credentials={"api_key": "sk_test_x"}))
    add_agent(account)
    page = admin_browser.get("/admin").text
    for text in ("Acme Inc", "Main Stripe", "stripe", "acme.zendesk.com", "connected", "al@acme.test",
                 "owner@acme.test", "Save Zendesk app settings"):
        assert text in page, text


def test_role_and_refund_limit_are_saved_in_minor_units(admin_browser, account):
    agent_id = add_agent(account)
    page = admin_browser.get("/admin")
    response = admin_browser.post(f"/admin/users/{agent_id}", data={
        "role": "admin", "refund_limit": "125.50", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    saved = user("al@acme.test")
    assert (saved.role, saved.refund_limit_minor) == ("admin", 12550)
    assert 'value="125.50"' in admin_browser.get("/admin").text
    admin_browser.post(f"/admin/users/{agent_id}", data={"role": "admin", "refund_limit": "",
                                                          "csrf_token": csrf_from(page.text)})
    assert user("al@acme.test").refund_limit_minor is None


@pytest.mark.parametrize("form, message", [
    ({"role": "superuser", "refund_limit": ""}, "Choose a role"),
    ({"role": "agent", "refund_limit": "-5"}, "must not be negative"),
    ({"role": "agent", "refund_limit": "1.234"}, "more decimals"),
    ({"role": "agent", "refund_limit": "lots"}, "invalid amount"),
])
def test_invalid_agent_changes_are_refused_with_a_message(admin_browser, account, form, message):
    agent_id = add_agent(account, limit=1000)
    page = admin_browser.get("/admin")
    response = admin_browser.post(f"/admin/users/{agent_id}", data={**form, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400 and message in response.text
    assert (user("al@acme.test").role, user("al@acme.test").refund_limit_minor) == ("agent", 1000)


def test_the_last_owner_cannot_be_demoted(admin_browser, account):
    owner = user("owner@acme.test")
    page = admin_browser.get("/admin")
    response = admin_browser.post(f"/admin/users/{owner.id}", data={"role": "admin", "refund_limit": "",
                                                                    "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400 and "at least one owner" in response.text
    assert user("owner@acme.test").role == "owner"


def test_users_of_another_account_cannot_be_edited(admin_browser, account):
    from backend.accounts import add_user, create_account

    with transaction() as s:
        other = add_user(s, create_account(s, name="Other"), email="x@other.test", role="agent")
        other_id = other.id
    page = admin_browser.get("/admin")
    response = admin_browser.post(f"/admin/users/{other_id}", data={"role": "owner", "refund_limit": "",
                                                                   "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400
    assert user("x@other.test").role == "agent"


def test_agents_cannot_change_settings(app, connected, zendesk, account):
    add_agent(account, email="al@acme.test")
    zendesk_agent = zendesk.add_user(SUBDOMAIN, email="al@acme.test", name="Al Agent", role="agent")
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=zendesk_agent.id).status_code == 302
    page = browser.get("/admin")
    agent_id = user("al@acme.test").id
    response = browser.post(f"/admin/users/{agent_id}", data={"role": "owner", "refund_limit": "",
                                                             "csrf_token": csrf_from(page.text)})
    assert response.status_code == 403
    assert user("al@acme.test").role == "agent"


def test_app_installation_id_and_public_key_are_stored(admin_browser, connected):
    public_pem = new_key_pair()[1]
    page = admin_browser.get("/admin")
    response = admin_browser.post(f"/admin/zendesk/{connected.installation.id}/app", data={
        "app_installation_id": "360001234", "public_key_pem": public_pem, "support_email": "Help@Acme.test",
        "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    session().expire_all()
    settings = session().get(HelpdeskInstallation, connected.installation.id).settings
    assert settings["app_installation_id"] == "360001234"
    assert settings["public_key_pem"].strip() == public_pem.strip()
    assert settings["support_email"] == "help@acme.test"
    assert settings["api_base"], "other settings are kept"


@pytest.mark.parametrize("form, message", [
    ({"app_installation_id": "abc", "public_key_pem": "PEM"}, "digits only"),
    ({"app_installation_id": "12", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"},
     "not usable"),
])
def test_bad_app_settings_are_refused(admin_browser, connected, form, message):
    page = admin_browser.get("/admin")
    response = admin_browser.post(f"/admin/zendesk/{connected.installation.id}/app",
                                  data={**form, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400 and message in response.text
    session().expire_all()
    assert session().get(HelpdeskInstallation, connected.installation.id).settings["app_installation_id"] == "1001"


def test_sign_out_ends_the_session(admin_browser):
    page = admin_browser.get("/admin")
    assert admin_browser.post("/admin/sign-out", data={"csrf_token": csrf_from(page.text)}).status_code == 302
    assert admin_browser.get("/admin").status_code == 302


def test_signing_out_revokes_the_session_server_side(app, admin_browser):
    """A copy of the session cookie (stolen, or kept by another browser) dies with the sign-out."""
    cookie = admin_browser.get_cookie("chargedesk_session")
    thief = app.test_client()
    thief.set_cookie("chargedesk_session", cookie.value, domain=cookie.domain)
    assert thief.get("/admin").status_code == 200, "the copied cookie works while the session lives"
    page = admin_browser.get("/admin")
    assert admin_browser.post("/admin/sign-out", data={"csrf_token": csrf_from(page.text)}).status_code == 302
    stolen = thief.get("/admin")
    assert stolen.status_code == 302 and stolen.headers["Location"].endswith("/admin/sign-in")


def test_signing_in_again_after_signing_out_works(app, admin_browser, connected, zendesk):
    page = admin_browser.get("/admin")
    admin_browser.post("/admin/sign-out", data={"csrf_token": csrf_from(page.text)})
    assert oauth_sign_in(admin_browser, zendesk, subdomain=SUBDOMAIN,
                         user_id=connected.admin_zendesk_id).status_code == 302
    assert admin_browser.get("/admin").status_code == 200

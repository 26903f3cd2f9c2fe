"""The generic admin and sidebar routes, driven with Zendesk as the host: sign-in per kind, the
chooser, unknown kinds, the generic reconnect, and the legacy Zendesk URLs kept as aliases."""
from __future__ import annotations

from sqlalchemy import func, select

from backend.db import session, transaction
from backend.integrations.helpdesks import helpdesk_host, helpdesk_names
from backend.models import Account, HelpdeskInstallation, User

from .conftest import SUBDOMAIN, csrf_from, local_path, oauth_sign_in


def test_sign_in_page_offers_every_registered_helpdesk(client, zendesk):
    page = client.get("/admin/sign-in")
    assert page.status_code == 200
    for kind in helpdesk_names():
        assert f'action="/admin/sign-in/{kind}"' in page.text
        assert f"Continue with {helpdesk_host(kind).label}" in page.text
    assert 'name="subdomain"' in page.text  # Zendesk's sign-in field


def test_sign_in_through_the_per_kind_route_round_trip(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada Admin", role="admin")
    page = client.get("/admin/sign-in/zendesk")
    assert page.status_code == 200 and 'name="subdomain"' in page.text
    started = client.post("/admin/sign-in/zendesk", data={"subdomain": "acme.zendesk.com",
                                                          "csrf_token": csrf_from(page.text)})
    assert started.status_code == 302 and "/oauth/authorizations/new" in started.headers["Location"]
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fadmin%2Foauth%2Fzendesk%2Fcallback" in started.headers["Location"]
    done = client.get(local_path(zendesk.approve(started.headers["Location"], user_id=admin.id)))
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin")
    owner = session().scalars(select(User)).one()
    assert (owner.email, owner.role) == ("ada@acme.test", "owner")


def test_unknown_kinds_and_forms_naming_no_helpdesk_are_refused(client, zendesk, ctx):
    page = client.get("/admin/sign-in")
    token = csrf_from(page.text)
    assert client.get("/admin/sign-in/nodesk").status_code == 404
    assert client.post("/admin/sign-in/nodesk", data={"csrf_token": token}).status_code == 404
    assert client.get("/admin/oauth/nodesk/callback?code=x&state=y").status_code == 404
    neither = client.post("/admin/sign-in", data={"csrf_token": token})
    assert neither.status_code == 400 and "Choose the helpdesk" in neither.text
    bad = client.post("/admin/sign-in/zendesk", data={"subdomain": "not a subdomain!", "csrf_token": token})
    assert bad.status_code == 400 and "subdomain" in bad.text
    stray = client.get("/admin/oauth/zendesk/callback?code=x&state=y")
    assert stray.status_code == 400 and "not valid" in stray.text
    assert session().scalar(select(func.count()).select_from(Account)) == 0


def test_generic_reconnect_and_its_legacy_zendesk_alias(app, connected, zendesk, account):
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=connected.admin_zendesk_id).status_code == 302
    with transaction() as s:  # revoked after the admin signed in (a sign-in by an admin would restore it)
        s.get(HelpdeskInstallation, connected.installation.id).status = "reconnect_required"
    page = browser.get("/admin")
    assert f'action="/admin/helpdesks/{connected.installation.id}/reconnect"' in page.text
    token = csrf_from(page.text)
    for url in (f"/admin/helpdesks/{connected.installation.id}/reconnect",
                f"/admin/zendesk/{connected.installation.id}/reconnect"):
        answer = browser.post(url, data={"csrf_token": token})
        assert answer.status_code == 302 and "/oauth/authorizations/new" in answer.headers["Location"], url
    missing = browser.post(f"/admin/helpdesks/{connected.installation.id + 99}/reconnect", data={"csrf_token": token})
    assert missing.status_code == 404
    assert browser.post(f"/admin/helpdesks/{connected.installation.id}/reconnect").status_code == 400  # no CSRF


def test_zendesk_admin_routes_refuse_a_missing_csrf_token_with_the_admin_page(app, connected, zendesk):
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=connected.admin_zendesk_id).status_code == 302
    response = browser.post(f"/admin/zendesk/{connected.installation.id}/app", data={"support_email": "x@y.z"})
    assert response.status_code == 400 and "This form has expired" in response.text


def signed_in_as(app, zendesk, account, email: str, role: str):
    """A browser signed in through Zendesk OAuth as a ChargeDesk user with this role."""
    with transaction() as s:
        s.add(User(account_id=account.id, email=email, role=role, name=email.split("@")[0].title()))
    zendesk_user = zendesk.add_user(SUBDOMAIN, email=email, name=email.split("@")[0].title(), role="admin")
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=zendesk_user.id).status_code == 302
    return browser, csrf_from(browser.get("/admin").text)


def stored_installation(connected) -> HelpdeskInstallation:
    session().expire_all()
    return session().get(HelpdeskInstallation, connected.installation.id)


def key_changes(account_id: int) -> list:
    from backend.models import AuditEntry

    session().expire_all()
    return list(session().scalars(select(AuditEntry).where(AuditEntry.account_id == account_id,
                                                           AuditEntry.event == "helpdesk.key_changed")))


def test_generic_settings_form_keeps_the_key_rule(app, connected, zendesk, account):
    from backend.auth.host_keys import key_stamp
    from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair

    url = f"/admin/helpdesks/{connected.installation.id}/settings"
    admin, admin_csrf = signed_in_as(app, zendesk, account, "ada@acme.test", "admin")
    before = dict(stored_installation(connected).settings)
    new_pem = new_key_pair()[1]
    refused = admin.post(url, data={"public_key_pem": new_pem, "csrf_token": admin_csrf})
    assert refused.status_code == 403 and "Only an owner" in refused.text
    assert stored_installation(connected).settings == before and key_changes(account.id) == []
    ok = admin.post(url, data={"support_email": "Help@Acme.test", "csrf_token": admin_csrf})
    assert ok.status_code == 302 and stored_installation(connected).settings["support_email"] == "help@acme.test"

    owner, owner_csrf = signed_in_as(app, zendesk, account, "olga@acme.test", "owner")
    bad = owner.post(url, data={"public_key_pem": "not a key", "csrf_token": owner_csrf})
    assert bad.status_code == 400 and "not usable" in bad.text and key_changes(account.id) == []
    changed = owner.post(url, data={"public_key_pem": new_pem, "csrf_token": owner_csrf})
    assert changed.status_code == 302
    installation = stored_installation(connected)
    assert installation.settings["public_key_pem"].strip() == new_pem.strip()
    assert key_stamp(installation.settings).version == 1
    [entry] = key_changes(account.id)
    assert entry.details["changed"] == ["public_key_pem"] and entry.actor["role"] == "owner"
    other = owner.post(f"/admin/helpdesks/{connected.installation.id + 99}/settings",
                       data={"support_email": "x@acme.test", "csrf_token": owner_csrf})
    assert other.status_code == 404

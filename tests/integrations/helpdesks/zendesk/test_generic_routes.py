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

"""Sign-in through Zendesk OAuth, end to end against the loopback emulator (authlib + zenpy)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from backend.db import session
from backend.integrations.helpdesks.zendesk.emulator import s256
from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from .conftest import CLIENT_ID, SUBDOMAIN, csrf_from, local_path, oauth_sign_in


def count(model) -> int:
    return session().scalar(select(func.count()).select_from(model))


def test_first_zendesk_admin_becomes_owner_of_a_new_account(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="Ada@Acme.test", name="Ada Admin", role="admin")
    response = oauth_sign_in(client, zendesk, subdomain="ACME", user_id=admin.id)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin")
    account = session().scalars(select(Account)).one()
    owner = session().scalars(select(User)).one()
    installation = session().scalars(select(HelpdeskInstallation)).one()
    assert (owner.email, owner.role, owner.account_id) == ("ada@acme.test", "owner", account.id)
    assert (installation.kind, installation.external_id, installation.status) == ("zendesk", "acme", "active")
    assert installation.settings["api_base"] == zendesk.base_url(SUBDOMAIN)
    assert installation.credentials["refresh_token"] and installation.token_expires_at is not None
    identity = session().scalars(select(AgentIdentity)).one()
    assert (identity.user_id, identity.external_user_id) == (owner.id, str(admin.id))
    raw = session().execute(select(HelpdeskInstallation.__table__.c.credentials)).scalar_one()
    assert installation.credentials["access_token"] not in raw, "tokens must be encrypted at rest"

    page = client.get("/admin")
    assert page.status_code == 200 and "Ada Admin" in page.text and "acme.zendesk.com" in page.text
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_second_sign_in_lands_in_the_same_account(app, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada Admin", role="admin")
    other_admin = zendesk.add_user(SUBDOMAIN, email="bo@acme.test", name="Bo Admin", role="admin")
    assert oauth_sign_in(app.test_client(), zendesk, subdomain=SUBDOMAIN, user_id=admin.id).status_code == 302
    again = app.test_client()
    assert oauth_sign_in(again, zendesk, subdomain=SUBDOMAIN, user_id=admin.id).status_code == 302
    assert oauth_sign_in(app.test_client(), zendesk, subdomain=SUBDOMAIN, user_id=other_admin.id).status_code == 302
    assert (count(Account), count(HelpdeskInstallation)) == (1, 1)
    roles = dict(session().execute(select(User.email, User.role)).all())
    assert roles == {"ada@acme.test": "owner", "bo@acme.test": "admin"}
    assert "Ada Admin" in again.get("/admin").text


def test_non_admin_stranger_is_refused_and_nothing_is_created(app, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    agent = zendesk.add_user(SUBDOMAIN, email="al@acme.test", name="Al Agent", role="agent")
    refused_first = oauth_sign_in(app.test_client(), zendesk, subdomain=SUBDOMAIN, user_id=agent.id)
    assert refused_first.status_code == 403 and "admin must sign in first" in refused_first.text
    assert count(Account) == 0
    oauth_sign_in(app.test_client(), zendesk, subdomain=SUBDOMAIN, user_id=admin.id)
    stranger = app.test_client()
    refused = oauth_sign_in(stranger, zendesk, subdomain=SUBDOMAIN, user_id=agent.id)
    assert refused.status_code == 403 and "not a ChargeDesk user" in refused.text
    assert count(User) == 1
    assert stranger.get("/admin").status_code == 302, "a refused sign-in leaves no session"


def test_agent_who_is_a_user_signs_in_without_touching_tokens(app, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    agent = zendesk.add_user(SUBDOMAIN, email="al@acme.test", name="Al Agent", role="agent")
    oauth_sign_in(app.test_client(), zendesk, subdomain=SUBDOMAIN, user_id=admin.id)
    installation = session().scalars(select(HelpdeskInstallation)).one()
    session().add(User(account_id=installation.account_id, email="al@acme.test", role="agent"))
    session().commit()
    tokens_before = dict(installation.credentials)
    agent_client = app.test_client()
    assert oauth_sign_in(agent_client, zendesk, subdomain=SUBDOMAIN, user_id=agent.id).status_code == 302
    session().expire_all()
    assert session().get(HelpdeskInstallation, installation.id).credentials == tokens_before
    page = agent_client.get("/admin")
    assert page.status_code == 200 and "Save Zendesk app settings" not in page.text


def test_state_mismatch_is_rejected(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    page = client.get("/admin/sign-in")
    started = client.post("/admin/sign-in", data={"subdomain": SUBDOMAIN, "csrf_token": csrf_from(page.text)})
    callback = zendesk.approve(started.headers["Location"], user_id=admin.id)
    query = parse_qs(urlsplit(callback).query)
    forged = client.get(f"/admin/oauth/zendesk/callback?code={query['code'][0]}&state=not-the-state")
    assert forged.status_code == 400 and "not valid" in forged.text
    assert count(Account) == 0
    replay = client.get(local_path(callback))
    assert replay.status_code == 400, "the pending sign-in is spent by the failed attempt"
    assert not [r for r in zendesk.token_requests if r.get("grant_type") == "authorization_code"]


def test_callback_without_a_started_sign_in_is_rejected(client, zendesk, ctx):
    response = client.get("/admin/oauth/zendesk/callback?code=abc&state=xyz")
    assert response.status_code == 400
    assert count(Account) == 0


def test_authorization_uses_pkce_s256_and_the_emulator_checks_the_verifier(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    page = client.get("/admin/sign-in")
    started = client.post("/admin/sign-in", data={"subdomain": SUBDOMAIN, "csrf_token": csrf_from(page.text)})
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/admin/oauth/zendesk/callback"]
    with client.session_transaction() as sess:
        verifier = sess["zendesk_oauth"]["verifier"]
        sess["zendesk_oauth"] = dict(sess["zendesk_oauth"], verifier="x" * 64)  # tampered verifier
    assert s256(verifier) == query["code_challenge"][0]
    response = client.get(local_path(zendesk.approve(started.headers["Location"], user_id=admin.id)))
    assert response.status_code == 400 and "refused the sign-in" in response.text
    assert zendesk.token_requests[-1]["code_verifier"] == "x" * 64
    assert count(Account) == 0


def test_expired_authorization_code_is_refused(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    page = client.get("/admin/sign-in")
    started = client.post("/admin/sign-in", data={"subdomain": SUBDOMAIN, "csrf_token": csrf_from(page.text)})
    callback = zendesk.approve(started.headers["Location"], user_id=admin.id)
    zendesk.advance_clock(121)
    assert client.get(local_path(callback)).status_code == 400
    assert count(Account) == 0


def test_denied_consent_creates_nothing(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    response = oauth_sign_in(client, zendesk, subdomain=SUBDOMAIN, user_id=admin.id, allow=False)
    assert response.status_code == 403 and "not approved" in response.text
    assert count(Account) == 0


def test_invalid_subdomain_is_a_400_with_the_form(client, zendesk, ctx):
    page = client.get("/admin/sign-in")
    response = client.post("/admin/sign-in",
                           data={"subdomain": "not a subdomain!", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400 and "Zendesk subdomain" in response.text

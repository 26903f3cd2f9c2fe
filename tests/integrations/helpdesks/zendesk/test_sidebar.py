"""POST /sidebar/zendesk: verified loads get a sidebar token; everything else a 401 page."""
from __future__ import annotations

import re

import jwt
import pytest
from sqlalchemy import func, select

from backend.auth.sidebar_tokens import read_sidebar_token
from backend.db import session, transaction
from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair, signed_url_claims
from backend.models import AgentIdentity, HelpdeskInstallation, User

from .conftest import SUBDOMAIN


def open_sidebar(client, token: str | None):
    return client.post("/sidebar/zendesk", data={} if token is None else {"token": token})


def sign(connected, zendesk, *, user_id, **claims_changes) -> str:
    claims = signed_url_claims(subdomain=SUBDOMAIN, app_installation_id=connected.app_installation_id,
                               user_id=user_id)
    claims.update(claims_changes)
    return jwt.encode(claims, zendesk.app_key_pair(connected.app_id)[0], algorithm="RS256")


def sidebar_token_of(html: str) -> str:
    match = re.search(r"sbt\.[A-Za-z0-9_\-\.]+", html)
    assert match, "the page carries no sidebar token"
    return match.group(0)


def test_known_agent_gets_a_sidebar_bound_to_account_installation_and_agent(client, connected, zendesk, account):
    token = zendesk.signed_url_token(SUBDOMAIN, app_id=connected.app_id,
                                     app_installation_id=connected.app_installation_id,
                                     user_id=connected.admin_zendesk_id)
    response = open_sidebar(client, token)
    assert response.status_code == 200, response.text
    assert "Set-Cookie" not in response.headers
    claims = read_sidebar_token(sidebar_token_of(response.text))
    owner = session().scalars(select(User).where(User.role == "owner")).one()
    assert (claims.account_id, claims.installation_id, claims.user_id, claims.host, claims.external_user_id) == (
        account.id, connected.installation.id, owner.id, "zendesk", str(connected.admin_zendesk_id))


def test_first_open_provisions_the_agent_from_zendesk(client, connected, zendesk, account):
    agent = zendesk.add_user(SUBDOMAIN, email="Ann.Agent@Acme.test", name="Ann Agent", role="agent")
    response = open_sidebar(client, sign(connected, zendesk, user_id=agent.id,
                                         context={"product": "support", "location": "user_sidebar"}))
    assert response.status_code == 200, response.text
    user = session().scalars(select(User).where(User.email == "ann.agent@acme.test")).one()
    assert (user.role, user.name, user.account_id) == ("agent", "Ann Agent", account.id)
    identity = session().scalars(select(AgentIdentity).where(AgentIdentity.user_id == user.id)).one()
    assert identity.external_user_id == str(agent.id)
    assert read_sidebar_token(sidebar_token_of(response.text)).user_id == user.id
    assert ("GET", f"/{SUBDOMAIN}/api/v2/users/{agent.id}.json") in zendesk.request_log

    calls_before = len(zendesk.request_log)
    again = open_sidebar(client, sign(connected, zendesk, user_id=agent.id))
    assert again.status_code == 200
    assert len(zendesk.request_log) == calls_before, "a known agent must not hit Zendesk again"
    assert session().scalar(select(AgentIdentity.id).where(AgentIdentity.user_id == user.id).limit(2)) is not None


def test_provisioning_reuses_a_user_with_the_same_email_and_maps_admins(client, connected, zendesk, account):
    with transaction() as s:
        s.add(User(account_id=account.id, email="boss@acme.test", role="viewer", name="Boss"))
    boss = zendesk.add_user(SUBDOMAIN, email="boss@acme.test", name="Boss", role="admin")
    newcomer = zendesk.add_user(SUBDOMAIN, email="new@acme.test", name="New Admin", role="admin")
    assert open_sidebar(client, sign(connected, zendesk, user_id=boss.id)).status_code == 200
    assert open_sidebar(client, sign(connected, zendesk, user_id=newcomer.id)).status_code == 200
    roles = dict(session().execute(select(User.email, User.role)).all())
    assert roles["boss@acme.test"] == "viewer", "an existing user keeps their ChargeDesk role"
    assert roles["new@acme.test"] == "admin"
    assert session().scalar(select(User.id).where(User.email == "boss@acme.test")) is not None


def test_end_users_are_refused(client, connected, zendesk):
    customer = zendesk.add_user(SUBDOMAIN, email="cust@example.test", name="Cust", role="end-user")
    response = open_sidebar(client, sign(connected, zendesk, user_id=customer.id))
    assert response.status_code == 403
    assert session().scalars(select(User).where(User.email == "cust@example.test")).first() is None


SECRETISH = ("Traceback", "jwt", "PyJWT", "Signature", "Expired", "audience", "exp", "eyJ")


def assert_refused_without_leaks(response, token: str | None):
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    assert "Set-Cookie" not in response.headers
    body = response.text
    assert "could not verify" in body
    if token:
        assert token not in body and token[:20] not in body
    for word in SECRETISH:
        assert word not in body, f"refusal page leaks {word!r}"


@pytest.mark.parametrize("case", ["missing", "empty", "garbage", "wrong key", "expired", "wrong audience",
                                  "wrong issuer", "unknown subdomain", "wrong context"])
def test_bad_tokens_get_a_401_page_that_leaks_nothing(client, connected, zendesk, case):
    agent_id = connected.admin_zendesk_id
    tokens = {
        "missing": None, "empty": "", "garbage": "eyJhbGciOi.not-a-token.x",
        "wrong key": jwt.encode(signed_url_claims(subdomain=SUBDOMAIN, app_installation_id="1001", user_id=agent_id),
                                new_key_pair()[0], algorithm="RS256"),
        "expired": sign(connected, zendesk, user_id=agent_id, exp=1_600_000_000, iat=1_599_999_000),
        "wrong audience": sign(connected, zendesk, user_id=agent_id,
                               aud="https://acme.zendesk.com/api/v2/apps/installations/2.json"),
        "wrong issuer": sign(connected, zendesk, user_id=agent_id, iss="other.zendesk.com"),
        "unknown subdomain": sign(connected, zendesk, user_id=agent_id, iss="nobody.zendesk.com",
                                  aud="https://nobody.zendesk.com/api/v2/apps/installations/1001.json"),
        "wrong context": sign(connected, zendesk, user_id=agent_id,
                              context={"product": "support", "location": "top_bar"}),
    }
    assert_refused_without_leaks(open_sidebar(client, tokens[case]), tokens[case])


def test_get_without_signature_is_refused(client, connected):
    assert_refused_without_leaks(client.get("/sidebar/zendesk"), None)


def test_installation_needing_reconnect_does_not_open(client, connected, zendesk):
    with transaction() as s:
        s.get(HelpdeskInstallation, connected.installation.id).status = "reconnect_required"
    response = open_sidebar(client, sign(connected, zendesk, user_id=connected.admin_zendesk_id))
    assert response.status_code == 403
    assert "reconnect" in response.text
    assert "sbt." not in response.text


def test_revoked_grant_during_provisioning_marks_reconnect(client, connected, zendesk):
    stranger = zendesk.add_user(SUBDOMAIN, email="late@acme.test", name="Late", role="agent")
    zendesk.revoke(SUBDOMAIN)
    response = open_sidebar(client, sign(connected, zendesk, user_id=stranger.id))
    assert response.status_code == 403
    session().expire_all()
    assert session().get(HelpdeskInstallation, connected.installation.id).status == "reconnect_required"


def test_zendesk_outage_during_provisioning_is_a_503_page(client, connected, zendesk):
    stranger = zendesk.add_user(SUBDOMAIN, email="late@acme.test", name="Late", role="agent")
    zendesk.fail_next(1, status=503, path_prefix=f"/{SUBDOMAIN}/api/v2/users")
    response = open_sidebar(client, sign(connected, zendesk, user_id=stranger.id))
    assert response.status_code == 503
    assert session().scalars(select(User).where(User.email == "late@acme.test")).first() is None


def without_api_access(installation_id: int) -> None:
    """Forget the installation's OAuth tokens (an install registered by hand, without OAuth)."""
    with transaction() as s:
        installation = s.get(HelpdeskInstallation, installation_id)
        installation.credentials = {k: v for k, v in (installation.credentials or {}).items()
                                    if k not in ("access_token", "refresh_token")}


def test_an_unknown_agent_without_api_access_gets_a_read_only_sidebar(client, connected, zendesk, account):
    stranger = zendesk.add_user(SUBDOMAIN, email="new@acme.test", name="New Agent", role="agent")
    without_api_access(connected.installation.id)
    users_before = session().scalar(select(func.count()).select_from(User))
    calls_before = len(zendesk.request_log)
    response = open_sidebar(client, sign(connected, zendesk, user_id=stranger.id))
    assert response.status_code == 200, response.text
    assert '"linked": false' in response.text and "Set-Cookie" not in response.headers
    token = sidebar_token_of(response.text)
    claims = read_sidebar_token(token)
    assert claims.read_only and (claims.account_id, claims.installation_id, claims.host, claims.external_user_id) == (
        account.id, connected.installation.id, "zendesk", str(stranger.id))
    assert len(zendesk.request_log) == calls_before, "without OAuth tokens nothing is looked up"
    assert session().scalar(select(func.count()).select_from(User)) == users_before
    assert session().scalars(select(AgentIdentity).where(AgentIdentity.external_user_id == str(stranger.id))).first() is None
    headers = {"Authorization": f"Bearer {token}"}
    context = client.get("/api/v1/sidebar/context?email=someone@example.com", headers=headers)
    assert context.status_code == 200 and context.get_json()["agent"]["can_act"] is False
    refused = client.post("/api/v1/actions", json={"kind": "refund"}, headers=headers)
    assert refused.status_code == 403 and "link your account" in refused.get_json()["message"]


def test_a_known_agent_keeps_acting_without_api_access(client, connected, zendesk):
    without_api_access(connected.installation.id)
    response = open_sidebar(client, sign(connected, zendesk, user_id=connected.admin_zendesk_id))
    assert response.status_code == 200
    assert '"linked": true' in response.text
    assert not read_sidebar_token(sidebar_token_of(response.text)).read_only

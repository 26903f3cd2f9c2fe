"""The iframe app: Help Scout loads /sidebar/helpscout?app=..&<context>&X-HelpScout-Signature=.. (GET)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

from sqlalchemy import func, select

from backend.auth.sidebar_tokens import read_sidebar_token
from backend.db import session
from backend.integrations.helpdesks.helpscout.emulator import signed_app_query
from backend.models import AgentIdentity, User

from .conftest import APP_SECRET_KEY


def open_app(client, query: str, app="hs-acme"):
    return client.get(f"/sidebar/helpscout?app={app}&{query}")


def test_signed_load_gets_the_shell_with_a_sidebar_token(client, installation, hs_admin, account):
    # The signature is over PHP's json_encode of the context, computed here by hand:
    literal = f'{{"conversation-id":"555","mailbox-id":"1","user-id":"{hs_admin.id}"}}'.encode()
    signature = base64.b64encode(hmac.new(APP_SECRET_KEY.encode(), literal, hashlib.sha1).digest()).decode()
    response = open_app(client, f"conversation-id=555&mailbox-id=1&user-id={hs_admin.id}"
                                f"&X-HelpScout-Signature={quote(signature, safe='')}")
    assert response.status_code == 200, response.text
    token = re.search(r"sbt\.[A-Za-z0-9_\-\.]+", response.text).group(0)
    claims = read_sidebar_token(token)
    owner = session().scalars(select(User).where(User.role == "owner")).one()
    assert (claims.account_id, claims.installation_id, claims.user_id, claims.host, claims.external_user_id) == (
        account.id, installation.id, owner.id, "helpscout", str(hs_admin.id))
    assert "/sidebar/vendor/helpscout_sdk.js" in response.text and "/sidebar/helpscout/static/helpscout.js" in response.text
    assert "frame-ancestors 'self' https://secure.helpscout.net" in response.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in response.headers


def test_first_load_provisions_the_agent(client, installation, configured):
    agent = configured.add_user(email="alex@acme.test", first_name="Alex", last_name="Agent")
    response = open_app(client, signed_app_query(APP_SECRET_KEY, [("conversation-id", "7"), ("user-id", str(agent.id))]))
    assert response.status_code == 200, response.text
    assert session().scalars(select(User).where(User.email == "alex@acme.test")).one().role == "agent"


def test_refusals_are_401_pages_that_store_nothing(client, installation, hs_admin):
    identities = session().scalar(select(func.count()).select_from(AgentIdentity))
    good = signed_app_query(APP_SECRET_KEY, [("conversation-id", "7"), ("user-id", str(hs_admin.id))])
    cases = [
        good.replace("conversation-id=7", "conversation-id=8"),  # tampered context
        signed_app_query("another-secret", [("conversation-id", "7"), ("user-id", str(hs_admin.id))]),
        "conversation-id=7&user-id=1",  # unsigned
        signed_app_query(APP_SECRET_KEY, [("conversation-id", "7")]),  # no signed user
    ]
    for query in cases:
        response = open_app(client, query)
        assert response.status_code == 401, query
        assert "sbt." not in response.text and "could not verify" in response.text
    assert open_app(client, good, app="hs-unknown").status_code == 401
    assert client.get(f"/sidebar/helpscout?{good}").status_code == 401  # no app parameter
    assert session().scalar(select(func.count()).select_from(AgentIdentity)) == identities


def test_the_sdk_copy_is_served(client, installation):
    from sidebar_apps.helpscout import sdk

    response = client.get("/sidebar/vendor/helpscout_sdk.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    if sdk.installed():
        assert "window.HelpScoutAppSDK = load('@helpscout/javascript-sdk/index')" in response.text
        assert "ALLOWED_ORIGINS" in response.text  # the SDK's own code, unchanged
    else:
        assert "HelpScoutAppSDKMissing" in response.text


def test_an_unknown_user_without_oauth_tokens_gets_a_read_only_sidebar(client, installation, configured, account):
    from backend.db import transaction
    from backend.models import HelpdeskInstallation

    stranger = configured.add_user(email="sam@acme.test", first_name="Sam", last_name="New")
    with transaction() as s:
        inst = s.get(HelpdeskInstallation, installation.id)
        inst.credentials = {k: v for k, v in inst.credentials.items() if k not in ("access_token", "refresh_token")}
    users_before = session().scalar(select(func.count()).select_from(User))
    response = open_app(client, signed_app_query(APP_SECRET_KEY, [("conversation-id", "7"),
                                                                  ("user-id", str(stranger.id))]))
    assert response.status_code == 200, response.text
    assert '"linked": false' in response.text
    token = re.search(r"sbt\.[A-Za-z0-9_\-\.]+", response.text).group(0)
    claims = read_sidebar_token(token)
    assert claims.read_only and (claims.account_id, claims.installation_id, claims.host, claims.external_user_id) == (
        account.id, installation.id, "helpscout", str(stranger.id))
    assert session().scalar(select(func.count()).select_from(User)) == users_before
    headers = {"Authorization": f"Bearer {token}"}
    context = client.get("/api/v1/sidebar/context?email=someone@example.com", headers=headers)
    assert context.status_code == 200 and context.get_json()["agent"] == {
        "name": "", "role": "viewer", "can_act": False, "refund_limit": None, "refund_allowance": None}
    refused = client.post("/api/v1/actions", json={"kind": "refund"}, headers=headers)
    assert refused.status_code == 403 and "link your account" in refused.get_json()["message"]

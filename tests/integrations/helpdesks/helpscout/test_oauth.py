"""Help Scout OAuth through authlib against the emulator: authorize, exchange, refresh, refusals."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from backend.integrations.helpdesks.helpscout.oauth import (
    HelpScoutOAuthError, OAuthClientConfig, exchange_code, merged_credentials, needs_refresh,
    refresh_credentials, start_authorization,
)

from .conftest import CLIENT_ID, REDIRECT_URI


def test_authorize_exchange_and_refresh_round_trip(helpscout, hs_admin, oauth_app):
    start = start_authorization(client=oauth_app, api_base=helpscout.url)
    parts = urlsplit(start.url)
    assert parts.path == "/authentication/authorizeClientApplication"
    assert parse_qs(parts.query)["client_id"] == [CLIENT_ID] and parse_qs(parts.query)["state"] == [start.state]
    callback = urlsplit(helpscout.approve(start.url, user_id=hs_admin.id))
    assert callback.geturl().startswith(REDIRECT_URI)
    params = parse_qs(callback.query)
    assert params["state"] == [start.state]
    creds = exchange_code(client=oauth_app, code=params["code"][0], api_base=helpscout.url)
    assert creds["access_token"] and creds["refresh_token"] and not needs_refresh(creds)
    assert needs_refresh(creds, now=creds["expires_at"] - 10)
    refreshed = refresh_credentials(client=oauth_app, refresh_token=creds["refresh_token"], api_base=helpscout.url)
    assert refreshed["access_token"] != creds["access_token"]
    kept = merged_credentials({"secret_key": "s", **creds}, refreshed)
    assert kept["secret_key"] == "s" and kept["access_token"] == refreshed["access_token"]


def test_a_used_or_unknown_code_asks_for_a_reconnect(helpscout, hs_admin, oauth_app):
    start = start_authorization(client=oauth_app, api_base=helpscout.url)
    code = parse_qs(urlsplit(helpscout.approve(start.url, user_id=hs_admin.id)).query)["code"][0]
    exchange_code(client=oauth_app, code=code, api_base=helpscout.url)
    with pytest.raises(HelpScoutOAuthError) as reused:
        exchange_code(client=oauth_app, code=code, api_base=helpscout.url)
    assert reused.value.error == "invalid_grant" and reused.value.reconnect


def test_a_denied_consent_comes_back_as_access_denied(helpscout, hs_admin, oauth_app):
    start = start_authorization(client=oauth_app, api_base=helpscout.url)
    callback = helpscout.approve(start.url, user_id=hs_admin.id, allow=False)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]


def test_wrong_client_secret_and_unavailable_endpoint(helpscout, hs_admin):
    tokens = helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID)
    with pytest.raises(HelpScoutOAuthError) as wrong:
        refresh_credentials(client=OAuthClientConfig(CLIENT_ID, "bad"), refresh_token=tokens["refresh_token"],
                            api_base=helpscout.url)
    assert wrong.value.error == "invalid_client" and not wrong.value.reconnect
    helpscout.fail_next(1, status=503, path_prefix="/v2/oauth2/token")
    with pytest.raises(HelpScoutOAuthError) as down:
        refresh_credentials(client=OAuthClientConfig(CLIENT_ID, "x"), refresh_token="r", api_base=helpscout.url)
    assert down.value.retryable
    with pytest.raises(HelpScoutOAuthError) as none:
        refresh_credentials(client=OAuthClientConfig(CLIENT_ID, "x"), refresh_token="", api_base=helpscout.url)
    assert none.value.reconnect

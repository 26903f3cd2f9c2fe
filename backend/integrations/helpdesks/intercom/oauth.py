"""Intercom OAuth through authlib: authorization code grant; access tokens do not expire, so there is
no refresh token and no refresh grant (a revoked token means an admin reconnects).

No scopes (permissions are ticked on the app in Developer Hub) and no PKCE at Intercom.
Docs: https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .. import HelpdeskError
from .urls import authorize_url, token_url

HTTP_TIMEOUT_SECONDS = 15
TOKEN_FIELDS = ("access_token", "token_type")


@dataclass(frozen=True)
class OAuthClientConfig:
    """ChargeDesk's public app registered with Intercom (its client secret also signs canvas requests)."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str


def client_config_from(extra: Mapping[str, Any]) -> OAuthClientConfig | None:
    """From CHARGEDESK_INTERCOM_CLIENT_ID / _CLIENT_SECRET; None when not configured."""
    client_id, secret = extra.get("INTERCOM_CLIENT_ID"), extra.get("INTERCOM_CLIENT_SECRET")
    return OAuthClientConfig(str(client_id), str(secret)) if client_id and secret else None


def oauth_client_from_app() -> OAuthClientConfig | None:
    from flask import current_app, has_app_context

    if has_app_context():
        return client_config_from(current_app.config["SETTINGS"].extra)
    prefix = "CHARGEDESK_"
    return client_config_from({k[len(prefix):]: v for k, v in os.environ.items() if k.startswith(prefix)})


def start_authorization(*, client: OAuthClientConfig, redirect_uri: str,
                        api_base: str | None = None) -> AuthorizationStart:
    """The consent URL (client_id, state, redirect_uri) and the state to keep in the session."""
    with _session(client, redirect_uri) as oauth:
        url, state = oauth.create_authorization_url(authorize_url(api_base))
    return AuthorizationStart(url=url, state=state)


def exchange_code(*, client: OAuthClientConfig, code: str, redirect_uri: str, api_base: str | None = None) -> dict:
    """POST /auth/eagle/token (code, client_id, client_secret) -> the access token to store."""
    if not code:
        raise HelpdeskError("Intercom sent no authorization code")
    with _session(client, redirect_uri) as oauth:
        token = _token_call(lambda: oauth.fetch_token(token_url(api_base), code=code,
                                                      grant_type="authorization_code"))
    return {"access_token": token["access_token"], "token_type": str(token.get("token_type") or "bearer").lower()}


def merged_credentials(stored: Mapping[str, Any], tokens: Mapping[str, Any]) -> dict:
    """New token over the stored credentials: the client secret (signing key) stays."""
    return {**dict(stored), **{k: tokens.get(k) for k in TOKEN_FIELDS if k in tokens}}


def _session(client: OAuthClientConfig, redirect_uri: str) -> OAuth2Session:
    oauth = OAuth2Session(client.client_id, client.client_secret, redirect_uri=redirect_uri,
                          token_endpoint_auth_method="client_secret_post", default_timeout=HTTP_TIMEOUT_SECONDS)
    oauth.register_compliance_hook("access_token_response", _refuse_unavailable)
    return oauth


def _refuse_unavailable(response: requests.Response) -> requests.Response:
    if response.status_code == 429 or response.status_code >= 500:
        raise HelpdeskError(f"Intercom's token endpoint answered {response.status_code}; try again later",
                            retryable=True)
    return response


def _token_call(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    try:
        token = call()
    except OAuthError as exc:
        raise HelpdeskError(f"Intercom refused the authorization: {exc.error or ''} {exc.description or ''}"
                            .strip()) from None
    except requests.RequestException as exc:
        raise HelpdeskError(f"cannot reach Intercom: {type(exc).__name__}", retryable=True) from None
    except ValueError as exc:
        raise HelpdeskError(f"unexpected answer from Intercom's token endpoint: {exc}") from None
    if not token.get("access_token"):
        raise HelpdeskError("Intercom's token endpoint answered without an access token")
    return token

"""Zendesk OAuth through authlib: authorization code with PKCE (S256), rotating refresh tokens.

Docs: https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .. import HelpdeskError
from .urls import authorize_url, token_url

DEFAULT_SCOPE = "read write"
REFRESH_MARGIN_SECONDS = 300  # refresh this long before the access token expires
HTTP_TIMEOUT_SECONDS = 15


class ZendeskOAuthError(HelpdeskError):
    """The token endpoint said no; `error` is Zendesk's OAuth error code (invalid_grant ...)."""

    def __init__(self, message: str, *, error: str = "", retryable: bool = False, reconnect: bool = False):
        super().__init__(message, retryable=retryable, reconnect=reconnect)
        self.error = error


@dataclass(frozen=True)
class OAuthClientConfig:
    """ChargeDesk's (global) OAuth client registered with Zendesk."""

    client_id: str
    client_secret: str
    scope: str = DEFAULT_SCOPE


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str
    code_verifier: str


def client_config_from(extra: Mapping[str, Any]) -> OAuthClientConfig | None:
    """From CHARGEDESK_ZENDESK_CLIENT_ID / _CLIENT_SECRET (/ _SCOPE); None when not configured."""
    client_id, secret = extra.get("ZENDESK_CLIENT_ID"), extra.get("ZENDESK_CLIENT_SECRET")
    if not client_id or not secret:
        return None
    return OAuthClientConfig(str(client_id), str(secret), str(extra.get("ZENDESK_SCOPE") or DEFAULT_SCOPE))


def oauth_client_from_app() -> OAuthClientConfig | None:
    """The OAuth client of the running app (or of the CHARGEDESK_* environment, for scripts)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return client_config_from(current_app.config["SETTINGS"].extra)
    prefix = "CHARGEDESK_"
    return client_config_from({k[len(prefix):]: v for k, v in os.environ.items() if k.startswith(prefix)})


def start_authorization(*, base_url: str, client: OAuthClientConfig, redirect_uri: str) -> AuthorizationStart:
    """The URL to send the admin to, with a fresh state and PKCE verifier to keep in the session."""
    verifier = generate_token(64)
    with _session(client, redirect_uri) as oauth:
        url, state = oauth.create_authorization_url(authorize_url(base_url), code_verifier=verifier)
    return AuthorizationStart(url=url, state=state, code_verifier=verifier)


def exchange_code(*, base_url: str, client: OAuthClientConfig, redirect_uri: str, code: str,
                  code_verifier: str) -> dict:
    """Trade the authorization code (valid 120 s) for tokens."""
    with _session(client, redirect_uri) as oauth:
        token = _token_call(lambda: oauth.fetch_token(
            token_url(base_url), grant_type="authorization_code", code=code, code_verifier=code_verifier))
    return credentials_from_token(token)


def refresh_credentials(*, base_url: str, client: OAuthClientConfig, refresh_token: str) -> dict:
    """A new token pair; Zendesk invalidates the old pair, so persist the result at once."""
    with _session(client) as oauth:
        token = _token_call(lambda: oauth.refresh_token(token_url(base_url), refresh_token=refresh_token))
    return credentials_from_token(token)


def credentials_from_token(token: Mapping[str, Any], *, now: float | None = None) -> dict:
    """What we store (encrypted): tokens plus absolute expiry times."""
    now = time.time() if now is None else now
    expires_in, refresh_in = token.get("expires_in"), token.get("refresh_token_expires_in")
    return {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "token_type": str(token.get("token_type") or "bearer").lower(),
        "scope": token.get("scope") or "",
        "expires_at": int(now + int(expires_in)) if expires_in else None,
        "refresh_token_expires_at": int(now + int(refresh_in)) if refresh_in else None,
    }


def needs_refresh(credentials: Mapping[str, Any], *, now: float | None = None,
                  margin: int = REFRESH_MARGIN_SECONDS) -> bool:
    """True when the access token expires within `margin` seconds and can be refreshed."""
    expires_at = credentials.get("expires_at")
    if not expires_at or not credentials.get("refresh_token"):
        return False
    return (time.time() if now is None else now) >= int(expires_at) - margin


def _session(client: OAuthClientConfig, redirect_uri: str | None = None) -> OAuth2Session:
    oauth = OAuth2Session(client.client_id, client.client_secret, scope=client.scope,
                          redirect_uri=redirect_uri, code_challenge_method="S256",
                          token_endpoint_auth_method="client_secret_post",
                          default_timeout=HTTP_TIMEOUT_SECONDS)
    for hook in ("access_token_response", "refresh_token_response"):
        oauth.register_compliance_hook(hook, _refuse_unavailable)
    return oauth


def _refuse_unavailable(response: requests.Response) -> requests.Response:
    """429 and 5xx from the token endpoint are worth retrying later, not a refusal."""
    if response.status_code == 429 or response.status_code >= 500:
        raise ZendeskOAuthError(f"Zendesk's token endpoint answered {response.status_code}; try again later",
                                retryable=True)
    return response


def _token_call(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    try:
        token = call()
    except OAuthError as exc:
        raise _refusal(exc.error or "", exc.description or "") from None
    except requests.RequestException as exc:
        raise ZendeskOAuthError(f"cannot reach Zendesk: {type(exc).__name__}", retryable=True) from None
    except ValueError as exc:  # not a JSON object
        raise ZendeskOAuthError(f"unexpected answer from Zendesk's token endpoint: {exc}") from None
    if not token.get("access_token"):
        raise ZendeskOAuthError("Zendesk's token endpoint answered without an access token")
    return token


def _refusal(error: str, description: str) -> ZendeskOAuthError:
    if error == "invalid_grant":
        return ZendeskOAuthError(f"Zendesk refused the grant: {description or error}", error=error,
                                 reconnect=True)
    if error == "invalid_client":
        return ZendeskOAuthError("Zendesk rejected ChargeDesk's OAuth client id or secret "
                                 "(CHARGEDESK_ZENDESK_CLIENT_ID / _CLIENT_SECRET)", error=error)
    return ZendeskOAuthError(f"Zendesk OAuth error {error}: {description}".rstrip(": "), error=error)

"""Help Scout OAuth through authlib: authorization code grant, 2-day access tokens, refresh grant.

No scopes and no PKCE at Help Scout; the redirect URL is fixed in the OAuth app (Your Profile ›
My Apps), so the authorize URL carries only client_id and state.
Docs: https://developer.helpscout.com/mailbox-api/overview/authentication/
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .. import HelpdeskError
from .urls import authorize_url, token_url

REFRESH_MARGIN_SECONDS = 300
HTTP_TIMEOUT_SECONDS = 15
TOKEN_FIELDS = ("access_token", "refresh_token", "token_type", "expires_at")


class HelpScoutOAuthError(HelpdeskError):
    """The token endpoint said no; `error` is the OAuth error code (invalid_grant ...)."""

    def __init__(self, message: str, *, error: str = "", retryable: bool = False, reconnect: bool = False):
        super().__init__(message, retryable=retryable, reconnect=reconnect)
        self.error = error


@dataclass(frozen=True)
class OAuthClientConfig:
    """ChargeDesk's OAuth app registered with Help Scout."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str
    code_verifier: str = ""  # Help Scout has no PKCE; kept for the generic admin flow's shape


def client_config_from(extra: Mapping[str, Any]) -> OAuthClientConfig | None:
    """From CHARGEDESK_HELPSCOUT_CLIENT_ID / _CLIENT_SECRET; None when not configured."""
    client_id, secret = extra.get("HELPSCOUT_CLIENT_ID"), extra.get("HELPSCOUT_CLIENT_SECRET")
    return OAuthClientConfig(str(client_id), str(secret)) if client_id and secret else None


def oauth_client_from_app() -> OAuthClientConfig | None:
    """The OAuth app of the running Flask app (or of the CHARGEDESK_* environment, for scripts)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return client_config_from(current_app.config["SETTINGS"].extra)
    prefix = "CHARGEDESK_"
    return client_config_from({k[len(prefix):]: v for k, v in os.environ.items() if k.startswith(prefix)})


def start_authorization(*, client: OAuthClientConfig, redirect_uri: str | None = None,
                        api_base: str | None = None) -> AuthorizationStart:
    """The URL to send the admin to, with a fresh state to keep in the session."""
    with _session(client) as oauth:
        url, state = oauth.create_authorization_url(authorize_url(api_base))
    return AuthorizationStart(url=url, state=state)


def exchange_code(*, client: OAuthClientConfig, code: str, api_base: str | None = None) -> dict:
    """Trade the authorization code for tokens (what we store: see credentials_from_token)."""
    with _session(client) as oauth:
        token = _token_call(lambda: oauth.fetch_token(token_url(api_base), grant_type="authorization_code",
                                                      code=code))
    return credentials_from_token(token)


def refresh_credentials(*, client: OAuthClientConfig, refresh_token: str, api_base: str | None = None) -> dict:
    """A new token pair from the refresh token; persist it at once (the old pair is replaced)."""
    if not refresh_token:
        raise HelpScoutOAuthError("no refresh token stored; reconnect Help Scout", reconnect=True)
    with _session(client) as oauth:
        token = _token_call(lambda: oauth.refresh_token(token_url(api_base), refresh_token=refresh_token))
    return credentials_from_token(token)


def credentials_from_token(token: Mapping[str, Any], *, now: float | None = None) -> dict:
    """The token part of an installation's credentials, with an absolute expiry time."""
    now = time.time() if now is None else now
    expires_in = token.get("expires_in")
    return {"access_token": token["access_token"], "refresh_token": token.get("refresh_token"),
            "token_type": str(token.get("token_type") or "bearer").lower(),
            "expires_at": int(now + int(expires_in)) if expires_in else None}


def merged_credentials(stored: Mapping[str, Any], tokens: Mapping[str, Any]) -> dict:
    """New tokens over the stored credentials: the app's secret key stays."""
    return {**dict(stored), **{k: tokens.get(k) for k in TOKEN_FIELDS}}


def needs_refresh(credentials: Mapping[str, Any], *, now: float | None = None,
                  margin: int = REFRESH_MARGIN_SECONDS) -> bool:
    expires_at = credentials.get("expires_at")
    if not expires_at or not credentials.get("refresh_token"):
        return False
    return (time.time() if now is None else now) >= int(expires_at) - margin


def _session(client: OAuthClientConfig) -> OAuth2Session:
    oauth = OAuth2Session(client.client_id, client.client_secret, token_endpoint_auth_method="client_secret_post",
                          default_timeout=HTTP_TIMEOUT_SECONDS)
    for hook in ("access_token_response", "refresh_token_response"):
        oauth.register_compliance_hook(hook, _refuse_unavailable)
    return oauth


def _refuse_unavailable(response: requests.Response) -> requests.Response:
    if response.status_code == 429 or response.status_code >= 500:
        raise HelpScoutOAuthError(f"Help Scout's token endpoint answered {response.status_code}; try again later",
                                  retryable=True)
    return response


def _token_call(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    try:
        token = call()
    except OAuthError as exc:
        raise _refusal(exc.error or "", exc.description or "") from None
    except requests.RequestException as exc:
        raise HelpScoutOAuthError(f"cannot reach Help Scout: {type(exc).__name__}", retryable=True) from None
    except ValueError as exc:
        raise HelpScoutOAuthError(f"unexpected answer from Help Scout's token endpoint: {exc}") from None
    if not token.get("access_token"):
        raise HelpScoutOAuthError("Help Scout's token endpoint answered without an access token")
    return token


def _refusal(error: str, description: str) -> HelpScoutOAuthError:
    if error == "invalid_grant":
        return HelpScoutOAuthError(f"Help Scout refused the grant: {description or error}", error=error,
                                   reconnect=True)
    if error == "invalid_client":
        return HelpScoutOAuthError("Help Scout rejected ChargeDesk's OAuth app id or secret "
                                   "(CHARGEDESK_HELPSCOUT_CLIENT_ID / _CLIENT_SECRET)", error=error)
    return HelpScoutOAuthError(f"Help Scout OAuth error {error}: {description}".rstrip(": "), error=error)

"""ZendeskHelpdesk: the Zendesk API through zenpy (the only module importing it).

Tokens are refreshed before they expire (rotating: the new pair replaces the old and is saved at
once through `config.save_credentials`). Errors map to HelpdeskError: 429/5xx/network are
retryable; a revoked grant asks for a reconnect.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, TypeVar
from urllib.parse import urlsplit

import requests
from flask import has_app_context
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket, User
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, RecordNotFoundException, ZenpyException

from .. import HelpdeskConfig, HelpdeskError
from .oauth import (
    OAuthClientConfig, ZendeskOAuthError, needs_refresh, oauth_client_from_app, refresh_credentials,
)
from .urls import zendesk_base_url

T = TypeVar("T")
log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 15
MARKER_PREFIX = "ChargeDesk ref "  # the same reference Help Scout's notes carry


@dataclass(frozen=True)
class ZendeskUser:
    """The parts of a Zendesk user ChargeDesk needs."""

    id: int
    email: str | None
    name: str | None
    role: str  # admin | agent | end-user
    active: bool = True
    suspended: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "agent")


@dataclass(frozen=True)
class AppKey:
    """An app installation's signing key as Zendesk serves it."""

    app_installation_id: str
    app_id: str
    public_key_pem: str


class ZendeskHelpdesk:
    """HelpdeskClient for one Zendesk installation (subdomain = config.external_id)."""

    name: ClassVar[str] = "zendesk"

    def __init__(self, config: HelpdeskConfig, *, oauth_client: OAuthClientConfig | None = None):
        self.config = config
        self.subdomain = config.external_id
        self.base_url = zendesk_base_url(config.external_id, api_base=config.api_base)
        self.credentials = dict(config.credentials or {})
        self._oauth_client = oauth_client

    def post_private_note(self, *, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
        """An internal note (ticket update with a private comment). With a key, posted at most once:
        the note carries a marker of the key, and a retry that finds it on the ticket posts nothing.

        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
        """
        number = _ticket_number(ticket_id)
        if idempotency_key:
            marker = note_marker(idempotency_key)
            if self._has_private_comment(number, marker):
                log.info("Zendesk note %s already on ticket %s; not posting again", marker, number)
                return
            body = f"{body}\n\n[{marker}]"
        ticket = Ticket(id=number)
        ticket.comment = Comment(body=body, public=False)
        self._call(lambda api: api.tickets.update(ticket))

    def _has_private_comment(self, number: int, marker: str) -> bool:
        """https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments"""
        comments = self._call(lambda api: list(api.tickets.comments(ticket=number)))
        return any(not comment.public and marker in (comment.body or "") for comment in comments)

    def create_ticket(self, *, requester_email: str, requester_name: str | None, subject: str, body: str,
                      private_note: str | None = None) -> str:
        """A ticket from the requester (made an end user if new), then our private note on it.

        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
        """
        ticket = Ticket(subject=subject, comment=Comment(body=body, public=True),
                        requester=User(email=requester_email, name=requester_name or requester_email))
        audit = self._call(lambda api: api.tickets.create(ticket))
        ticket_id = str(audit.ticket.id)
        if private_note:
            self.post_private_note(ticket_id=ticket_id, body=private_note)
        return ticket_id

    def current_user(self) -> ZendeskUser:
        """The token's user.

        https://developer.zendesk.com/api-reference/ticketing/users/users/#show-the-currently-authenticated-user
        """
        return _user_from(self._call(lambda api: api.users.me()))

    def get_user(self, user_id: int | str) -> ZendeskUser:
        """https://developer.zendesk.com/api-reference/ticketing/users/users/#show-user"""
        number = _ticket_number(user_id, what="user id")
        return _user_from(self._call(lambda api: api.users(id=number)))

    def app_public_key(self, app_installation_id: int | str) -> AppKey:
        """The key Zendesk signs an app installation's signed URLs with: the installation names its
        app, the app has one RSA key pair (zenpy has neither endpoint: plain HTTP, same token).

        https://developer.zendesk.com/api-reference/ticketing/apps/apps/#show-app-installation
        https://developer.zendesk.com/api-reference/ticketing/apps/apps/#get-app-public-key
        """
        number = _ticket_number(app_installation_id, what="app installation id")
        installation = self._with_token(lambda: self._get(f"/api/v2/apps/installations/{number}.json"))
        try:
            app_id = installation.json().get("app_id")
        except (ValueError, AttributeError):
            raise HelpdeskError("Zendesk's app installation answer is not a JSON object") from None
        if isinstance(app_id, bool) or not isinstance(app_id, int):
            raise HelpdeskError("Zendesk's app installation has no app id")
        pem = self._with_token(lambda: self._get(f"/api/v2/apps/{app_id}/public_key.pem").text)
        return AppKey(app_installation_id=str(number), app_id=str(app_id), public_key_pem=pem)

    # --- plumbing ---------------------------------------------------------------------------
    def _call(self, operation: Callable[[Zenpy], T]) -> T:
        """A zenpy call with a fresh token (see _with_token)."""
        return self._with_token(lambda: operation(self._zenpy()))

    def _with_token(self, call: Callable[[], T]) -> T:
        """Run with a fresh token; on a 401 refresh once and retry (the token may be revoked)."""
        if needs_refresh(self.credentials):
            self._refresh()
        try:
            return _mapped(call)
        except _Unauthorized:
            if not self.credentials.get("refresh_token"):
                raise HelpdeskError("Zendesk rejected the access token; reconnect Zendesk", reconnect=True)
            self._refresh()
        try:
            return _mapped(call)
        except _Unauthorized:
            raise HelpdeskError("Zendesk rejected a freshly refreshed token; reconnect Zendesk",
                                reconnect=True) from None

    def _refresh(self) -> None:
        client = self._oauth_client or oauth_client_from_app()
        if client is None:
            raise HelpdeskError("cannot refresh the Zendesk token: CHARGEDESK_ZENDESK_CLIENT_ID and "
                                "_CLIENT_SECRET are not configured")
        new = refresh_credentials(base_url=self.base_url, client=client,
                                  refresh_token=str(self.credentials.get("refresh_token") or ""))
        self.credentials = new
        self._persist(new)

    def _persist(self, credentials: dict) -> None:
        """Save the rotated pair at once: the old refresh token is already dead."""
        if self.config.save_credentials is not None:
            self.config.save_credentials(dict(credentials))
        elif self.config.installation_id and has_app_context():
            from .installations import save_credentials  # a config built without a saver
            save_credentials(self.config.installation_id, dict(credentials))
        else:
            log.error("refreshed Zendesk tokens of installation %s could not be saved",
                      self.config.installation_id)

    def _get(self, path: str) -> requests.Response:
        """GET an API path with the installation's token (for endpoints zenpy does not cover)."""
        response = requests.get(self.base_url + path, timeout=HTTP_TIMEOUT_SECONDS,
                                headers={"Authorization": f"Bearer {self._access_token()}"})
        response.raise_for_status()
        return response

    def _access_token(self) -> str:
        token = self.credentials.get("access_token")
        if not token:
            raise HelpdeskError("this Zendesk installation has no access token; reconnect Zendesk",
                                reconnect=True)
        return str(token)

    def _zenpy(self) -> Zenpy:
        return zenpy_for(self.base_url, oauth_token=self._access_token())


class _Unauthorized(Exception):
    """A 401 from the API: refresh, then give up."""


def zenpy_for(base_url: str, *, oauth_token: str) -> Zenpy:
    """A Zenpy client for any base URL: 'https://acme.zendesk.com' or 'http://127.0.0.1:8123/acme'.

    Zenpy builds '{protocol}://{subdomain}.{domain}/{api_prefix}/...': the netloc is split at its
    first dot into subdomain and domain, and protocol/api_prefix are Zenpy's per-API attributes.
    ratelimit_budget=1 makes a 429 raise at once instead of sleeping (the caller retries later).
    """
    parts = urlsplit(base_url)
    subdomain, _, domain = parts.netloc.partition(".")
    if not domain:
        raise HelpdeskError(f"the Zendesk base URL {base_url!r} needs a dotted host (127.0.0.1, not localhost)")
    api = Zenpy(subdomain=subdomain, domain=domain, oauth_token=oauth_token, timeout=HTTP_TIMEOUT_SECONDS,
                ratelimit_budget=1, disable_cache=True)
    prefix = "/".join(p for p in (parts.path.strip("/"), "api/v2") if p)
    if parts.scheme != "https" or prefix != "api/v2":
        for endpoint_api in (api.tickets, api.users):
            endpoint_api.protocol = parts.scheme
            endpoint_api.api_prefix = prefix
    return api


def _mapped(call: Callable[[], T]) -> T:
    """Zenpy and requests errors -> HelpdeskError (retryable or not), 401 -> _Unauthorized."""
    try:
        return call()
    except RatelimitBudgetExceeded:
        raise HelpdeskError("Zendesk rate limit reached (429); retry later", retryable=True) from None
    except (APIException, requests.HTTPError) as exc:
        raise _from_status(_status_of(exc), exc) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise HelpdeskError(f"cannot reach Zendesk: {type(exc).__name__}", retryable=True) from None
    except ZenpyException as exc:
        raise HelpdeskError(f"Zendesk client error: {exc}") from None


def _status_of(exc: Exception) -> int:
    response = getattr(exc, "response", None)
    return int(getattr(response, "status_code", 0) or 0)


def _from_status(status: int, exc: Exception) -> Exception:
    if status == 401:
        return _Unauthorized()
    if isinstance(exc, RecordNotFoundException) or status == 404:
        return HelpdeskError("not found in Zendesk (deleted, or not part of this Zendesk account?)")
    if status == 429 or status >= 500:
        return HelpdeskError(f"Zendesk answered {status}; retry later", retryable=True)
    if status == 403:
        return HelpdeskError("Zendesk refused: the connected user lacks permission or the token lacks a scope")
    return HelpdeskError(f"Zendesk refused the request ({status or 'no status'})")


def _user_from(user: Any) -> ZendeskUser:
    return ZendeskUser(id=int(user.id), email=getattr(user, "email", None), name=getattr(user, "name", None),
                       role=str(getattr(user, "role", "") or "end-user"),
                       active=bool(getattr(user, "active", True)),
                       suspended=bool(getattr(user, "suspended", False)))


def _ticket_number(value: int | str, *, what: str = "ticket id") -> int:
    text = str(value).strip().lstrip("#")
    if not text.isdigit():
        raise HelpdeskError(f"invalid Zendesk {what} {value!r}")
    return int(text)


__all__ = ["AppKey", "ZendeskHelpdesk", "ZendeskOAuthError", "ZendeskUser", "zenpy_for"]


def note_marker(idempotency_key: str) -> str:
    """The reference a keyed note carries (a digest: the key itself is not shown to agents)."""
    return MARKER_PREFIX + hashlib.sha256(f"key:{idempotency_key}".encode("utf-8")).hexdigest()[:16]

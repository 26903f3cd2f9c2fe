"""HelpScoutHelpdesk: the Mailbox API v2 over requests (no official Python SDK; the only module
that speaks to Help Scout's API).

Tokens are refreshed shortly before they expire and once after a 401; a refreshed pair is saved at
once through `config.save_credentials` (merged over the stored credentials, so the app's secret
key stays). Errors map to HelpdeskError: 429/5xx/network retryable; a refused grant asks for a
reconnect. Notes carry a reference marker, and a retried post first looks for it.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import requests

from .. import HelpdeskConfig, HelpdeskError
from .oauth import (
    OAuthClientConfig, merged_credentials, needs_refresh, oauth_client_from_app, refresh_credentials,
)
from .urls import api_root

log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 15
MARKER_PREFIX = "ChargeDesk ref "
DEDUPE_WINDOW_SECONDS = 15 * 60  # without a key, an identical note this recent is a retry (note job retries: 5, 30, 120 s)


@dataclass(frozen=True)
class HelpScoutUser:
    """The parts of a Help Scout user ChargeDesk needs (role: owner | admin | user)."""

    id: int
    email: str | None
    name: str | None
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")

    @property
    def is_staff(self) -> bool:
        return self.role in ("owner", "admin", "user")


@dataclass(frozen=True)
class Conversation:
    id: int
    number: int | None
    subject: str | None
    mailbox_id: int | None
    customer_email: str | None


class HelpScoutHelpdesk:
    """HelpdeskClient for one Help Scout installation."""

    name: ClassVar[str] = "helpscout"

    def __init__(self, config: HelpdeskConfig, *, oauth_client: OAuthClientConfig | None = None,
                 session: requests.Session | None = None):
        self.config = config
        self.root = api_root(config.api_base)
        self.credentials = dict(config.credentials or {})
        self._oauth_client = oauth_client
        self._http = session or requests.Session()

    # --- users ----------------------------------------------------------------------------
    def current_user(self) -> HelpScoutUser:
        """https://developer.helpscout.com/mailbox-api/endpoints/users/me/"""
        return _user_from(self._request("GET", "/users/me").json())

    def get_user(self, user_id: int | str) -> HelpScoutUser:
        """https://developer.helpscout.com/mailbox-api/endpoints/users/get/"""
        return _user_from(self._request("GET", f"/users/{_number(user_id, 'user id')}").json())

    # --- conversations --------------------------------------------------------------------
    def get_conversation(self, conversation_id: int | str) -> Conversation:
        """https://developer.helpscout.com/mailbox-api/endpoints/conversations/get/"""
        data = self._request("GET", f"/conversations/{_number(conversation_id, 'conversation id')}").json()
        customer = data.get("primaryCustomer") or {}
        return Conversation(id=int(data["id"]), number=data.get("number"), subject=data.get("subject"),
                            mailbox_id=data.get("mailboxId"), customer_email=customer.get("email"))

    def list_threads(self, conversation_id: int | str) -> list[dict]:
        """https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/list/ (first page, newest first)"""
        data = self._request("GET", f"/conversations/{_number(conversation_id, 'conversation id')}/threads").json()
        return list((data.get("_embedded") or {}).get("threads") or [])

    def post_private_note(self, *, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
        """A note on the conversation, posted at most once per key (or per identical text, recently).

        https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/note/
        """
        number = _number(ticket_id, "conversation id")
        marker = note_marker(body, idempotency_key)
        if self._has_note(number, marker, window=None if idempotency_key else DEDUPE_WINDOW_SECONDS):
            log.info("Help Scout note %s already on conversation %s; not posting again", marker, number)
            return
        self._request("POST", f"/conversations/{number}/notes", json={"text": f"{body}\n\n[{marker}]"})

    def create_conversation(self, *, mailbox_id: int | str, customer_email: str, subject: str,
                            note: str | None = None, customer_text: str | None = None) -> int:
        """A new conversation for the customer: their message and/or our private note; its id.

        https://developer.helpscout.com/mailbox-api/endpoints/conversations/create/
        """
        threads = ([{"type": "customer", "customer": {"email": customer_email}, "text": customer_text}]
                   if customer_text else [])
        if note:
            threads.append({"type": "note", "text": note})
        if not threads:
            raise HelpdeskError("a new Help Scout conversation needs a customer message or a note")
        payload = {"subject": subject, "customer": {"email": customer_email}, "type": "email", "status": "active",
                   "mailboxId": _number(mailbox_id, "mailbox id"), "threads": threads}
        response = self._request("POST", "/conversations", json=payload)
        created = response.headers.get("Resource-ID") or response.headers.get("Location", "").rsplit("/", 1)[-1]
        return _number(created, "created conversation id")

    # --- plumbing -------------------------------------------------------------------------
    def _has_note(self, number: int, marker: str, *, window: float | None) -> bool:
        cutoff = None if window is None else time.time() - window
        for thread in self.list_threads(number):
            if thread.get("type") == "note" and marker in str(thread.get("body") or ""):
                if cutoff is None or _timestamp(thread.get("createdAt")) >= cutoff:
                    return True
        return False

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """With a fresh token; after a 401, refresh once and retry."""
        if needs_refresh(self.credentials):
            self._refresh()
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:
            if not self.credentials.get("refresh_token"):
                raise HelpdeskError("Help Scout rejected the access token; reconnect Help Scout", reconnect=True)
            self._refresh()
            response = self._send(method, path, **kwargs)
            if response.status_code == 401:
                raise HelpdeskError("Help Scout rejected a freshly refreshed token; reconnect Help Scout",
                                    reconnect=True)
        if response.status_code >= 400:
            raise _from_status(response)
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        token = self.credentials.get("access_token")
        if not token:
            raise HelpdeskError("this Help Scout installation has no access token; connect Help Scout with OAuth",
                                reconnect=True)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/hal+json"}
        try:
            return self._http.request(method, self.root + path, headers=headers, timeout=HTTP_TIMEOUT_SECONDS,
                                      **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HelpdeskError(f"cannot reach Help Scout: {type(exc).__name__}", retryable=True) from None

    def _refresh(self) -> None:
        client = self._oauth_client or oauth_client_from_app()
        if client is None:
            raise HelpdeskError("cannot refresh the Help Scout token: CHARGEDESK_HELPSCOUT_CLIENT_ID and "
                                "_CLIENT_SECRET are not configured")
        tokens = refresh_credentials(client=client, refresh_token=str(self.credentials.get("refresh_token") or ""),
                                     api_base=self.config.api_base)
        self.credentials = merged_credentials(self.credentials, tokens)
        if self.config.save_credentials is not None:
            self.config.save_credentials(dict(self.credentials))
        else:
            log.error("refreshed Help Scout tokens of installation %s could not be saved", self.config.installation_id)


def note_marker(body: str, idempotency_key: str | None = None) -> str:
    """The reference a note carries: from the caller's key, else from the note's text."""
    source = f"key:{idempotency_key}" if idempotency_key else f"text:{body}"
    return MARKER_PREFIX + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def _from_status(response: requests.Response) -> HelpdeskError:
    status = response.status_code
    if status == 404:
        return HelpdeskError("not found in Help Scout (deleted conversation or user?)")
    if status == 429 or status >= 500:
        return HelpdeskError(f"Help Scout answered {status}; retry later", retryable=True)
    if status == 403:
        return HelpdeskError("Help Scout refused: the connected user lacks permission")
    return HelpdeskError(f"Help Scout refused the request ({status}): {_message(response)}")


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return "no details"
    errors = (data.get("_embedded") or {}).get("errors") or []
    details = "; ".join(f"{e.get('path')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    return details or str(data.get("message") or "no details")


def _user_from(data: dict) -> HelpScoutUser:
    name = " ".join(p for p in (data.get("firstName"), data.get("lastName")) if p) or None
    return HelpScoutUser(id=int(data["id"]), email=data.get("email"), name=name, role=str(data.get("role") or "user"))


def _timestamp(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _number(value: int | str, what: str) -> int:
    text = str(value).strip().lstrip("#")
    if not text.isdigit():
        raise HelpdeskError(f"invalid Help Scout {what} {value!r}")
    return int(text)


__all__ = ["Conversation", "HelpScoutHelpdesk", "HelpScoutUser", "note_marker"]

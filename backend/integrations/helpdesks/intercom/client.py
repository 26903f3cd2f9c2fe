"""IntercomHelpdesk: the REST API subset we use (admins, contacts, conversations, notes) through
Intercom's official SDK, `python-intercom` 5.x (github.com/intercom/python-intercom; httpx + pydantic).

The only module that imports the SDK (tests/test_vendor_boundaries.py). The SDK is pointed at the
regional host, or at the loopback emulator, through its public `base_url` option.
Tokens do not expire: a 401 means the grant was revoked and an admin must reconnect.
Notes carry a reference marker, and a retried post first looks for it on the conversation.
Docs: https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io
"""
from __future__ import annotations

import hashlib
import html
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, TypeVar

import httpx
from intercom import (AdminReplyConversationRequest, CreateContactRequestWithEmail, CreateConversationRequestFrom,
                      Intercom, SingleFilterSearchRequest)
from intercom.core.api_error import ApiError

from .. import HelpdeskConfig, HelpdeskError
from .urls import API_VERSION, api_base_for

log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 15
MARKER_PREFIX = "ChargeDesk ref "
DEDUPE_WINDOW_SECONDS = 15 * 60  # without a key, an identical note this recent is a retry (note job retries)
T = TypeVar("T")


@dataclass(frozen=True)
class IntercomAdmin:
    """A teammate (Intercom "admin"); `owner`: the token's own admin, who could install the app."""

    id: str
    email: str | None
    name: str | None
    active: bool = True
    owner: bool = False
    workspace_id: str | None = None  # /me only: the workspace the token is for (app.id_code)


class IntercomHelpdesk:
    """HelpdeskClient for one Intercom workspace."""

    name: ClassVar[str] = "intercom"

    def __init__(self, config: HelpdeskConfig):
        self.config = config
        self.root = api_base_for(region=(config.settings or {}).get("region"), api_base=config.api_base)
        self.credentials = dict(config.credentials or {})
        self._sdk: Intercom | None = None

    # --- admins ---------------------------------------------------------------------------
    def me(self) -> IntercomAdmin:
        """https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/admins/identifyadmin"""
        return _admin_from(self._call(lambda sdk: sdk.admins.identify()), owner=True)

    def get_admin(self, admin_id: str) -> IntercomAdmin:
        """https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/admins/retrieveadmin"""
        ident = _ident(admin_id, "admin id")
        return _admin_from(self._call(lambda sdk: sdk.admins.find(ident)))  # type: ignore[arg-type]

    # --- conversations --------------------------------------------------------------------
    def post_private_note(self, *, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
        """An internal note on the conversation, at most once per key (or per identical text).

        https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/conversations/replyconversation
        """
        conversation = _ident(ticket_id, "conversation id")
        marker = note_marker(body, idempotency_key)
        if self._has_note(conversation, marker, window=None if idempotency_key else DEDUPE_WINDOW_SECONDS):
            log.info("Intercom note %s already on conversation %s; not posting again", marker, conversation)
            return
        note = AdminReplyConversationRequest(message_type="note", type="admin", admin_id=self._admin_id(),
                                             body=note_html(body, marker))
        self._call(lambda sdk: sdk.conversations.reply(conversation, request=note))

    def create_ticket(self, *, requester_email: str, requester_name: str | None, subject: str, body: str,
                      private_note: str | None = None) -> str:
        """A conversation started by the contact (found or created by email), titled, with our note.

        https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/conversations/createconversation
        """
        contact_id = self._contact_id(requester_email, requester_name)
        created = self._call(lambda sdk: sdk.conversations.create(
            from_=CreateConversationRequestFrom(type="user", id=contact_id), body=body))
        conversation = str(getattr(created, "conversation_id", None) or getattr(created, "id", None) or "")
        if not conversation:
            raise HelpdeskError("Intercom created the conversation but did not say its id")
        ident = _ident(conversation, "conversation id")
        self._call(lambda sdk: sdk.conversations.update(ident, title=subject))
        if private_note:
            self.post_private_note(ticket_id=conversation, body=private_note)
        return conversation

    # --- plumbing -------------------------------------------------------------------------
    def _contact_id(self, email: str, name: str | None) -> str:
        query = SingleFilterSearchRequest(field="email", operator="=", value=email)
        found = self._call(lambda sdk: sdk.contacts.search(query=query))
        for contact in found.items or ():
            return str(contact.id)
        created = self._call(lambda sdk: sdk.contacts.create(
            request=CreateContactRequestWithEmail(email=email, name=name)))
        return str(created.id)

    def _admin_id(self) -> str:
        admin_id = self.credentials.get("admin_id")
        if not admin_id:
            admin_id = self.me().id
            self.credentials["admin_id"] = admin_id
        return str(admin_id)

    def _has_note(self, conversation: str, marker: str, *, window: float | None) -> bool:
        data = self._call(lambda sdk: sdk.conversations.find(conversation))
        parts = (data.conversation_parts.conversation_parts if data.conversation_parts else None) or []
        cutoff = None if window is None else time.time() - window
        return any(p.part_type == "note" and marker in str(p.body or "")
                   and (cutoff is None or _number(p.created_at) >= cutoff) for p in parts)

    def _client(self) -> Intercom:
        token = self.credentials.get("access_token")
        if not token:
            raise HelpdeskError("this Intercom installation has no access token; connect Intercom with OAuth",
                                reconnect=True)
        if self._sdk is None:
            self._sdk = Intercom(base_url=self.root, token=str(token), timeout=HTTP_TIMEOUT_SECONDS,
                                 headers={"Intercom-Version": API_VERSION, "Accept": "application/json"})
        return self._sdk

    def _call(self, request: Callable[[Intercom], T]) -> T:
        sdk = self._client()
        try:
            return request(sdk)
        except ApiError as exc:
            raise _from_status(exc.status_code or 0, exc.body) from None
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise HelpdeskError(f"cannot reach Intercom: {type(exc).__name__}", retryable=True) from None


def note_marker(body: str, idempotency_key: str | None = None) -> str:
    source = f"key:{idempotency_key}" if idempotency_key else f"text:{body}"
    return MARKER_PREFIX + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def note_html(body: str, marker: str) -> str:
    """Intercom note bodies are HTML: our text escaped, one paragraph per line, then the marker."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines() if line.strip())
    return f"{paragraphs}<p>[{html.escape(marker)}]</p>"


def _from_status(status: int, body: Any) -> HelpdeskError:
    """The SDK's ApiError (and its subclasses UnauthorizedError, NotFoundError …) by status code."""
    if status == 401:
        return HelpdeskError("Intercom rejected the access token; reconnect Intercom", reconnect=True)
    if status == 404:
        return HelpdeskError("not found in Intercom (deleted conversation or teammate?)")
    if status == 429 or status >= 500:
        return HelpdeskError(f"Intercom answered {status}; retry later", retryable=True)
    if status == 403:
        return HelpdeskError("Intercom refused: the app lacks the permission for this")
    return HelpdeskError(f"Intercom refused the request ({status}): {_message(body)}")


def _message(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return "no details"
    return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)) or "no details"


def _admin_from(admin: Any, *, owner: bool = False) -> IntercomAdmin:
    if admin is None or getattr(admin, "type", None) != "admin" or getattr(admin, "id", None) in (None, ""):
        raise HelpdeskError("Intercom answered something that is not a teammate")
    app = getattr(admin, "app", None)
    workspace = getattr(app, "id_code", None) if app is not None else None
    deactivated = (admin.model_extra or {}).get("deactivated", False)  # sent by Intercom, not in the SDK model
    return IntercomAdmin(id=str(admin.id), email=admin.email, name=admin.name, active=not deactivated,
                         owner=owner, workspace_id=str(workspace) if workspace else None)


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _ident(value: Any, what: str) -> str:
    text = str(value).strip()
    if not text or len(text) > 64 or not all(c.isalnum() or c in "-_" for c in text):
        raise HelpdeskError(f"invalid Intercom {what} {str(value)[:64]!r}")
    return text


__all__ = ["IntercomAdmin", "IntercomHelpdesk", "note_marker"]

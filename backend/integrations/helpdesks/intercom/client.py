"""IntercomHelpdesk: the REST API subset we use (admins, contacts, conversations, notes) over requests.

The only module that speaks to Intercom's API. Intercom's own SDK (`python-intercom` 5.x on PyPI,
github.com/intercom/python-intercom) is not a dependency yet; see the Intercom README section.
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
from typing import Any, ClassVar

import requests

from .. import HelpdeskConfig, HelpdeskError
from .urls import API_VERSION, api_base_for

log = logging.getLogger(__name__)
HTTP_TIMEOUT_SECONDS = 15
MARKER_PREFIX = "ChargeDesk ref "
DEDUPE_WINDOW_SECONDS = 15 * 60  # without a key, an identical note this recent is a retry (note job retries)


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

    def __init__(self, config: HelpdeskConfig, *, session: requests.Session | None = None):
        self.config = config
        self.root = api_base_for(region=(config.settings or {}).get("region"), api_base=config.api_base)
        self.credentials = dict(config.credentials or {})
        self._http = session or requests.Session()

    # --- admins ---------------------------------------------------------------------------
    def me(self) -> IntercomAdmin:
        """https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/admins/identifyadmin"""
        return _admin_from(self._request("GET", "/me").json(), owner=True)

    def get_admin(self, admin_id: str) -> IntercomAdmin:
        """https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/admins/retrieveadmin"""
        return _admin_from(self._request("GET", f"/admins/{_ident(admin_id, 'admin id')}").json())

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
        self._request("POST", f"/conversations/{conversation}/reply", json={
            "message_type": "note", "type": "admin", "admin_id": self._admin_id(),
            "body": note_html(body, marker)})

    def create_ticket(self, *, requester_email: str, requester_name: str | None, subject: str, body: str,
                      private_note: str | None = None) -> str:
        """A conversation started by the contact (found or created by email), titled, with our note.

        https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/conversations/createconversation
        """
        contact_id = self._contact_id(requester_email, requester_name)
        created = self._request("POST", "/conversations", json={"from": {"type": "user", "id": contact_id},
                                                                 "body": body}).json()
        conversation = str(created.get("conversation_id") or created.get("id") or "")
        if not conversation:
            raise HelpdeskError("Intercom created the conversation but did not say its id")
        self._request("PUT", f"/conversations/{_ident(conversation, 'conversation id')}", json={"title": subject})
        if private_note:
            self.post_private_note(ticket_id=conversation, body=private_note)
        return conversation

    # --- plumbing -------------------------------------------------------------------------
    def _contact_id(self, email: str, name: str | None) -> str:
        found = self._request("POST", "/contacts/search", json={
            "query": {"field": "email", "operator": "=", "value": email}}).json()
        for contact in found.get("data") or ():
            return str(contact["id"])
        created = self._request("POST", "/contacts", json={"role": "user", "email": email, "name": name}).json()
        return str(created["id"])

    def _admin_id(self) -> str:
        admin_id = self.credentials.get("admin_id")
        if not admin_id:
            admin_id = self.me().id
            self.credentials["admin_id"] = admin_id
        return str(admin_id)

    def _has_note(self, conversation: str, marker: str, *, window: float | None) -> bool:
        data = self._request("GET", f"/conversations/{conversation}").json()
        parts = (data.get("conversation_parts") or {}).get("conversation_parts") or []
        cutoff = None if window is None else time.time() - window
        return any(p.get("part_type") == "note" and marker in str(p.get("body") or "")
                   and (cutoff is None or _number(p.get("created_at")) >= cutoff) for p in parts)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        token = self.credentials.get("access_token")
        if not token:
            raise HelpdeskError("this Intercom installation has no access token; connect Intercom with OAuth",
                                reconnect=True)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                   "Intercom-Version": API_VERSION}
        try:
            response = self._http.request(method, self.root + path, headers=headers,
                                          timeout=HTTP_TIMEOUT_SECONDS, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HelpdeskError(f"cannot reach Intercom: {type(exc).__name__}", retryable=True) from None
        if response.status_code >= 400:
            raise _from_status(response)
        return response


def note_marker(body: str, idempotency_key: str | None = None) -> str:
    source = f"key:{idempotency_key}" if idempotency_key else f"text:{body}"
    return MARKER_PREFIX + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def note_html(body: str, marker: str) -> str:
    """Intercom note bodies are HTML: our text escaped, one paragraph per line, then the marker."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines() if line.strip())
    return f"{paragraphs}<p>[{html.escape(marker)}]</p>"


def _from_status(response: requests.Response) -> HelpdeskError:
    status = response.status_code
    if status == 401:
        return HelpdeskError("Intercom rejected the access token; reconnect Intercom", reconnect=True)
    if status == 404:
        return HelpdeskError("not found in Intercom (deleted conversation or teammate?)")
    if status == 429 or status >= 500:
        return HelpdeskError(f"Intercom answered {status}; retry later", retryable=True)
    if status == 403:
        return HelpdeskError("Intercom refused: the app lacks the permission for this")
    return HelpdeskError(f"Intercom refused the request ({status}): {_message(response)}")


def _message(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return "no details"
    return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)) or "no details"


def _admin_from(data: dict, *, owner: bool = False) -> IntercomAdmin:
    if data.get("type") != "admin" or data.get("id") in (None, ""):
        raise HelpdeskError("Intercom answered something that is not a teammate")
    app = data.get("app") if isinstance(data.get("app"), dict) else {}
    return IntercomAdmin(id=str(data["id"]), email=data.get("email"), name=data.get("name"),
                         active=not data.get("deactivated", False), owner=owner,
                         workspace_id=str(app["id_code"]) if app.get("id_code") else None)


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

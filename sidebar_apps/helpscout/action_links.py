"""Signed, expiring links for the legacy dynamic app's one-click actions.

A dynamic app's HTML cannot run scripts, so each allowed action is a link (target=_blank) to our
confirm page. The link's token binds (account, installation, agent, action, target, conversation)
and expires; it is no bearer for anything else. The confirm form carries the token back with a
CSRF value derived from it and a per-page idempotency key, so a double submit is one action.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from flask import current_app

LINK_MAX_AGE_SECONDS = 30 * 60
SALT = "chargedesk.helpscout.action"
# Actions whose parameters fit a small confirm form (reason, amount, one checkbox).
LINKED_ACTIONS = {"charge": ("refund", "capture", "void"), "subscription": ("cancel_subscription",),
                  "invoice": ("send_invoice",)}
PAYLOAD_JSON = json.JSONEncoder(separators=(",", ":"))  # built once: json.dumps builds one per call otherwise


class LinkRefused(Exception):
    """An unusable link; `status` and `message` are for the person who clicked it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ActionLink:
    account_id: int
    installation_id: int
    user_id: int
    external_user_id: str
    kind: str
    target_type: str
    target_id: int
    ticket_id: str | None


@lru_cache(maxsize=4)
def _key(secret_key: str) -> bytes:
    """The links' own HMAC key, derived from the app's secret key (salted: no other token verifies)."""
    return hashlib.sha256(f"{SALT}|{secret_key}".encode()).digest()


def _mac(key: bytes, payload: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.digest(key, payload, hashlib.sha256)[:18]).decode()


def sign_link(link: ActionLink, *, secret_key: str | None = None, now: float | None = None) -> str:
    """`<base64url JSON>.<base64url HMAC-SHA256>`; the JSON carries the link and its issue time."""
    sign = link_signer(account_id=link.account_id, installation_id=link.installation_id, user_id=link.user_id,
                       external_user_id=link.external_user_id, ticket_id=link.ticket_id,
                       secret_key=secret_key or current_app.config["SECRET_KEY"], now=now)
    return sign(link.kind, link.target_type, link.target_id)


def link_signer(*, account_id: int, installation_id: int, user_id: int, external_user_id: str,
                ticket_id: str | None, secret_key: str, now: float | None = None) -> Callable[[str, str, int], str]:
    """sign_link for one answer's links: `sign(kind, target_type, target_id)`, key and issue time fixed once.

    A dynamic app answer carries one link per allowed action (a customer's ten charges: ten links),
    so this is a bare HMAC rather than a general-purpose serializer."""
    key = _key(secret_key)
    issued = int(time.time() if now is None else now)

    def sign(kind: str, target_type: str, target_id: int) -> str:
        payload = PAYLOAD_JSON.encode([account_id, installation_id, user_id, external_user_id, kind, target_type,
                                       target_id, ticket_id, issued]).encode()
        body = base64.urlsafe_b64encode(payload).rstrip(b"=")
        return body.decode() + "." + _mac(key, body)

    return sign


def read_link(token: str, *, max_age: int = LINK_MAX_AGE_SECONDS) -> ActionLink:
    if not token or len(token) > 2000 or token.count(".") != 1:
        raise LinkRefused(400, "This link is incomplete. Open the action again from the Help Scout conversation.")
    body, mac = token.split(".")
    if not hmac.compare_digest(_mac(_key(current_app.config["SECRET_KEY"]), body.encode()), mac):
        raise LinkRefused(400, "This link is not valid. Open the action again from the Help Scout conversation.")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        account, installation, user, external, kind, target_type, target, ticket, issued = data
        link = ActionLink(int(account), int(installation), int(user), str(external), str(kind), str(target_type),
                          int(target), None if ticket is None else str(ticket))
    except (TypeError, ValueError):
        raise LinkRefused(400, "This link is not valid.") from None
    if not 0 <= time.time() - int(issued) <= max_age:
        raise LinkRefused(410, "This link has expired. Reload the conversation in Help Scout and click the "
                               "action again.")
    return link


def csrf_value(token: str, key: str) -> str:
    """The form's CSRF field: bound to the link token and the page's idempotency key."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"csrf|{token}|{key}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(token: str, key: str, value: str) -> bool:
    return bool(value) and hmac.compare_digest(csrf_value(token, key), value)

"""Signed, expiring links for the legacy dynamic app's one-click actions.

A dynamic app's HTML cannot run scripts, so each allowed action is a link (target=_blank) to our
confirm page. The link's token binds (account, installation, agent, action, target, conversation)
and expires; it is no bearer for anything else. The confirm form carries the token back with a
CSRF value derived from it and a per-page idempotency key, so a double submit is one action.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LINK_MAX_AGE_SECONDS = 30 * 60
SALT = "chargedesk.helpscout.action"
# Actions whose parameters fit a small confirm form (reason, amount, one checkbox).
LINKED_ACTIONS = {"charge": ("refund", "capture", "void"), "subscription": ("cancel_subscription",),
                  "invoice": ("send_invoice",)}


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
def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def sign_link(link: ActionLink, *, secret_key: str | None = None) -> str:
    payload = [link.account_id, link.installation_id, link.user_id, link.external_user_id, link.kind,
               link.target_type, link.target_id, link.ticket_id]
    return _serializer(secret_key or current_app.config["SECRET_KEY"]).dumps(payload)


def read_link(token: str, *, max_age: int = LINK_MAX_AGE_SECONDS) -> ActionLink:
    if not token or len(token) > 2000:
        raise LinkRefused(400, "This link is incomplete. Open the action again from the Help Scout conversation.")
    try:
        data = _serializer(current_app.config["SECRET_KEY"]).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused(410, "This link has expired. Reload the conversation in Help Scout and click the "
                               "action again.") from None
    except BadSignature:
        raise LinkRefused(400, "This link is not valid. Open the action again from the Help Scout conversation.") \
            from None
    try:
        account, installation, user, external, kind, target_type, target, ticket = data
        return ActionLink(int(account), int(installation), int(user), str(external), str(kind), str(target_type),
                          int(target), None if ticket is None else str(ticket))
    except (TypeError, ValueError):
        raise LinkRefused(400, "This link is not valid.") from None


def csrf_value(token: str, key: str) -> str:
    """The form's CSRF field: bound to the link token and the page's idempotency key."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"csrf|{token}|{key}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(token: str, key: str, value: str) -> bool:
    return bool(value) and hmac.compare_digest(csrf_value(token, key), value)

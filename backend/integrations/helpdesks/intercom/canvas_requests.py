"""A Canvas Kit request (Initialize/Submit) in: its signature checked, then its host claims.

X-Body-Signature is checked before anything of the body is trusted; the unverified workspace id
(and teammate id) only says whose secret checks it.
"""
from __future__ import annotations

import json
from typing import Mapping

from flask import current_app

from ..host import HostClaims, HostVerificationError
from .oauth import client_config_from
from .signature import SignatureError, verify_body_signature

MAX_EMAILS = 20


def claims_from(installation_id: int, data: dict) -> HostClaims:
    """Host claims of a verified request: teammate, conversation, the contact's email(s)."""
    admin = data.get("admin") if isinstance(data.get("admin"), dict) else {}
    conversation = data.get("conversation") if isinstance(data.get("conversation"), dict) else {}
    context = data.get("context") if isinstance(data.get("context"), dict) else {}
    ticket = _ident(conversation.get("id")) or _ident(context.get("conversation_id"))
    return HostClaims(installation_id=installation_id, external_user_id=_ident(admin.get("id")),
                      location="conversation_details", ticket_id=ticket or None,
                      requester_emails=contact_emails(data))


def contact_emails(data: dict) -> tuple[str, ...]:
    """`contact.email` (API 2.x), `customer.email` (older versions), the conversation's contacts' emails."""
    found: list[str] = []
    sources = [data.get("contact"), data.get("customer")]
    conversation = data.get("conversation") if isinstance(data.get("conversation"), dict) else {}
    contacts = conversation.get("contacts") if isinstance(conversation.get("contacts"), dict) else {}
    sources += contacts.get("contacts") if isinstance(contacts.get("contacts"), list) else []
    for source in sources:
        email = source.get("email") if isinstance(source, dict) else None
        if isinstance(email, str) and email.strip() and email.strip() not in found:
            found.append(email.strip())
    return tuple(found[:MAX_EMAILS])


def verify_canvas_body(installation_id: int, credentials: Mapping | None, *, body: bytes,
                       signature: str | None) -> tuple[HostClaims, dict]:
    """(claims, parsed body) for an installation already found by the body's workspace id."""
    try:
        verify_body_signature(signing_secret(installation_id, credentials), body, signature)
    except SignatureError as exc:
        raise HostVerificationError(str(exc)) from None
    data = json.loads(body)
    return claims_from(installation_id, data), data


def signing_secret(installation_id: int, credentials: Mapping | None) -> str:
    """The installation's own client secret (CLI installs), else our public app's (OAuth installs)."""
    secret = str((credentials or {}).get("client_secret") or "")
    if not secret:
        client = client_config_from(_extra())
        secret = client.client_secret if client else ""
    if not secret:
        raise HostVerificationError(f"Intercom installation {installation_id} has no client secret")
    return secret


def unverified_field(body: bytes, name: str) -> str:
    """`workspace_id` (app_id in older API versions) or `admin.id` of a body not verified yet: only to
    find whose secret checks it. HostVerificationError when the body is not a JSON object."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HostVerificationError("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise HostVerificationError("the request body is not a JSON object")
    if name == "admin.id":
        admin = data.get("admin")
        value = admin.get("id") if isinstance(admin, dict) else None
    else:
        value = data.get("workspace_id") or data.get("app_id")
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _ident(value) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value).strip()
    return text if text and len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text) else ""


def _extra() -> Mapping:
    return current_app.config["SETTINGS"].extra

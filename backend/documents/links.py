"""Signed, expiring links to a document's PDF (until the portal defines its document page)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "chargedesk.documents.pdf"
DEFAULT_DAYS = 30


class LinkError(Exception):
    """A link that is forged, for another document, or expired."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def link_days(account_settings: dict | None) -> int:
    days = ((account_settings or {}).get("documents") or {}).get("link_days", DEFAULT_DAYS)
    return days if isinstance(days, int) and 1 <= days <= 365 else DEFAULT_DAYS


def pdf_link(*, account_id: int, document_id: int, days: int) -> tuple[str, datetime]:
    """The URL and when it stops working (the expiry is inside the signed payload)."""
    expires = datetime.now(timezone.utc) + timedelta(days=days)
    token = _serializer().dumps({"a": account_id, "d": document_id, "e": int(expires.timestamp())})
    return f"{current_app.config['SETTINGS'].base_url}/api/v1/documents/shared/{token}", expires


def open_link(token: str) -> tuple[int, int]:
    """(account id, document id) of a valid, unexpired link; LinkError otherwise."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise LinkError("this link is not valid") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("a", "d", "e")):
        raise LinkError("this link is not valid")
    if data["e"] < datetime.now(timezone.utc).timestamp():
        raise LinkError("this link has expired; ask for the document to be sent again")
    return data["a"], data["d"]

"""stored_data that carries a pending action or a run between canvases, sealed with our HMAC.

Intercom echoes a canvas's stored_data in the next Submit (the whole body signed by Intercom); we
also bind what we put there to the installation and teammate, so it cannot be replayed elsewhere.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from flask import current_app

MAX_AGE_SECONDS = 30 * 60
SALT = b"chargedesk.intercom.pending|"


@dataclass(frozen=True)
class Pending:
    kind: str
    target_type: str
    target_id: int
    key: str  # the action's idempotency key: one run however often "confirm" is submitted


def seal(payload: dict, *, installation_id: int, admin_id: str) -> dict:
    body = {**payload, "iat": int(time.time()), "ins": installation_id, "adm": admin_id}
    return {"d": body, "s": _mac(body)}


def unseal(stored: object, *, installation_id: int, admin_id: str) -> dict | None:
    """The payload if it is ours, for this installation and teammate, and recent; else None."""
    if not isinstance(stored, dict) or not isinstance(stored.get("d"), dict) or not isinstance(stored.get("s"), str):
        return None
    body = stored["d"]
    if not hmac.compare_digest(_mac(body), stored["s"]):
        return None
    if body.get("ins") != installation_id or body.get("adm") != admin_id:
        return None
    if not isinstance(body.get("iat"), int) or not 0 <= time.time() - body["iat"] <= MAX_AGE_SECONDS:
        return None
    return body


def pending_from(body: dict | None) -> Pending | None:
    try:
        return Pending(str(body["kind"]), str(body["target_type"]), int(body["target_id"]), str(body["key"]))
    except (KeyError, TypeError, ValueError):
        return None


def _mac(body: dict) -> str:
    key = hashlib.sha256(SALT + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()

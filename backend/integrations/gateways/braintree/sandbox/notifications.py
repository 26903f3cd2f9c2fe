"""Webhooks the way Braintree sends them: form fields bt_signature and bt_payload, POSTed.

bt_payload is base64 (with newlines) of the notification XML; bt_signature is
"public_key|hex(HMAC-SHA1(key=SHA1(private_key), bt_payload))". No timestamp is signed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import requests

from . import xmlcodec


@dataclass(frozen=True)
class Notification:
    """A signed notification, ready to POST."""

    kind: str
    subject_id: str
    bt_signature: str
    bt_payload: str

    def form(self) -> dict[str, str]:
        return {"bt_signature": self.bt_signature, "bt_payload": self.bt_payload}


def sign(payload: bytes, *, public_key: str, private_key: str) -> str:
    key = hashlib.sha1(private_key.encode("ascii")).digest()
    return f"{public_key}|{hmac.new(key, payload, hashlib.sha1).hexdigest()}"


def build(kind: str, subject_tag: str, subject: dict[str, Any], *, timestamp: Any,
          public_key: str, private_key: str) -> Notification:
    """Render and sign one notification about `subject` (rendered now, so it is a snapshot)."""
    body = {"timestamp": timestamp, "kind": kind, "subject": {subject_tag: subject}}
    payload = base64.encodebytes(xmlcodec.document("notification", body).encode("utf-8"))
    return Notification(kind=kind, subject_id=str(subject.get("id")),
                        bt_signature=sign(payload, public_key=public_key,
                                          private_key=private_key),
                        bt_payload=payload.decode("ascii"))


def deliver(notification: Notification, urls: list[str], log: list[dict[str, Any]]) -> None:
    """POST to every registered endpoint; the outcome of each attempt goes to `log`."""
    for url in urls:
        entry: dict[str, Any] = {"url": url, "kind": notification.kind,
                                 "subject_id": notification.subject_id}
        try:
            response = requests.post(url, data=notification.form(), timeout=5)
            entry["status"] = response.status_code
        except requests.RequestException as exc:
            entry.update(status=None, error=str(exc))
        log.append(entry)

"""Webhook delivery the way Recurly signs JSON webhooks.

Header `recurly-signature: <timestamp>,<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`; the
timestamp is in milliseconds (docs.recurly.com "Signature verification"), or seconds when the
sandbox is told to mimic the docs' example. Several secrets -> several signatures (rotation).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from .store import Store


def signature_header(secrets: list[str] | tuple[str, ...], body: bytes, *,
                     timestamp: int | None = None, unit: str = "ms") -> str:
    """The recurly-signature value for `body`, one signature per secret."""
    stamp = timestamp if timestamp is not None else int(time.time() * (1000 if unit == "ms" else 1))
    signed = str(stamp).encode() + b"." + body
    sigs = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([str(stamp), *sigs])


def deliver(sb: Store, payloads: list[dict]) -> None:
    """POST each queued notification to every endpoint; record what happened."""
    for payload in payloads:
        body = json.dumps(payload).encode()
        for url, secret in list(sb.webhook_endpoints):
            sb.deliveries.append(_post(url, secret, body, payload, sb.webhook_timestamp_unit))


def _post(url: str, secret: str, body: bytes, payload: dict, unit: str) -> dict:
    headers = {"Content-Type": "application/json",
               "recurly-signature": signature_header([secret], body, unit=unit)}
    record = {"url": url, "payload": payload, "signature": headers["recurly-signature"],
              "status": None, "error": None}
    try:
        record["status"] = requests.post(url, data=body, headers=headers, timeout=5).status_code
    except requests.RequestException as exc:  # the receiver being down must not break the API
        record["error"] = repr(exc)
    return record

"""X-Body-Signature: lowercase hex HMAC-SHA256 of the raw request body with the app's client secret.

Docs: https://developers.intercom.com/docs/canvas-kit#signing-notifications
Always over the bytes as received (hashing a re-serialized body is the classic mistake).
"""
from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Body-Signature"


class SignatureError(Exception):
    """Unsigned, malformed or wrong signature; the reason is for logs only."""


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_body_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Constant-time check of the header against the body; SignatureError when it does not match."""
    if not secret:
        raise SignatureError("no client secret to check the signature with")
    if not signature:
        raise SignatureError("no X-Body-Signature header")
    given = signature.strip().lower()
    if len(given) != 64 or any(c not in "0123456789abcdef" for c in given):
        raise SignatureError("X-Body-Signature is not a hex SHA-256 digest")
    if not hmac.compare_digest(sign(secret, body), given):
        raise SignatureError("X-Body-Signature does not match the body")

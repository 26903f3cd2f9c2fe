"""Help Scout's X-HelpScout-Signature: base64(HMAC-SHA1(app secret key, data)).

Two byte forms of `data`:
- legacy dynamic apps (and webhooks): the raw request body, exactly as received;
- iframe apps: PHP's `json_encode($_REQUEST)` of the callback's query parameters without the
  signature and without the parameters of our own callback URL. PHP keeps the order of the query
  string, keeps every value a string, mangles `.` and ` ` in names to `_`, lets a repeated name's
  last value win at its first position, and escapes `/` and every non-ASCII character.

Docs: https://developer.helpscout.com/apps/guides/signature-validation/ ,
https://developer.helpscout.com/apps/legacy-custom-apps/dynamic/
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Iterable, Sequence
from urllib.parse import unquote_plus

SIGNATURE_PARAM = "X-HelpScout-Signature"
SIGNATURE_HEADER = "X-HelpScout-Signature"
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n",
                  "\r": "\\r", "\t": "\\t"}


class SignatureError(ValueError):
    """The request is not provably from Help Scout; the message is for logs, never for the caller."""


def sign(secret: str, data: bytes) -> str:
    """The signature Help Scout sends for `data` (also what the emulator and the tests use)."""
    return base64.b64encode(hmac.digest(secret.encode("utf-8"), data, hashlib.sha1)).decode("ascii")


def signature_matches(secret: str, data: bytes, signature: str | None) -> bool:
    """Constant-time comparison of the decoded signature with our own digest."""
    if not secret or not signature:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(hmac.digest(secret.encode("utf-8"), data, hashlib.sha1), given)


def verify_body_signature(secret: str, body: bytes, signature: str | None) -> None:
    """Legacy dynamic app: the header signs the raw body bytes (never a re-encoding of them)."""
    if not signature:
        raise SignatureError("no X-HelpScout-Signature header")
    if not signature_matches(secret, body, signature):
        raise SignatureError("X-HelpScout-Signature does not match the body")


# --- iframe apps: the query string -----------------------------------------------------------
def php_request_params(query_string: str) -> list[tuple[str, str]]:
    """The (name, value) pairs PHP puts in $_GET for this raw query string, in PHP's order."""
    params: dict[str, str] = {}
    for piece in query_string.split("&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition("=")
        name = _php_name(unquote_plus(raw_name, errors="strict"))
        if not name:
            continue
        if "[" in name:
            raise SignatureError(f"array query parameter {name!r} is not part of Help Scout's context")
        params[name] = unquote_plus(raw_value, errors="strict")  # a repeat keeps the first position
    return list(params.items())


def _php_name(name: str) -> str:
    """PHP drops leading spaces of a name and turns ' ' and '.' into '_'."""
    return name.lstrip(" ").replace(" ", "_").replace(".", "_")


def php_json_encode(pairs: Sequence[tuple[str, str]]) -> bytes:
    """`json_encode` of a PHP array of strings: an object, or a list when the keys are 0..n-1."""
    if all(_php_int_key(name) == index for index, (name, _) in enumerate(pairs)):
        return ("[" + ",".join(_php_string(value) for _, value in pairs) + "]").encode("ascii")
    body = ",".join(f"{_php_string(name)}:{_php_string(value)}" for name, value in pairs)
    return ("{" + body + "}").encode("ascii")


def _php_int_key(name: str) -> int | None:
    """PHP stores a canonical decimal integer key ('0', '12', '-3'; not '012', '+1') as an int."""
    digits = name[1:] if name.startswith("-") else name
    if not digits.isascii() or not digits.isdigit() or (digits != "0" and digits.startswith("0")):
        return None
    if name == "-0":
        return None
    value = int(name)
    return value if -(2**63) <= value < 2**63 else None


def _php_string(text: str) -> str:
    """PHP's default escaping: '/' and control characters escaped, non-ASCII as \\uXXXX (lowercase)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif code < 0x80:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    out.append('"')
    return "".join(out)


def signed_query_data(query_string: str, *, own_params: Iterable[str] = ()) -> tuple[bytes, str | None, dict]:
    """(the bytes Help Scout signed, the signature, the verified context) for an iframe callback."""
    try:
        pairs = php_request_params(query_string)
    except UnicodeDecodeError:
        raise SignatureError("the query string is not UTF-8") from None
    ignored = {SIGNATURE_PARAM, *(_php_name(name) for name in own_params)}
    signature = dict(pairs).get(SIGNATURE_PARAM)
    kept = [(name, value) for name, value in pairs if name not in ignored]
    return php_json_encode(kept), signature, dict(kept)


def verify_query_signature(secret: str, query_string: str, *, own_params: Iterable[str] = ()) -> dict[str, str]:
    """Iframe app load: the verified context parameters (e.g. conversation-id), else SignatureError."""
    data, signature, context = signed_query_data(query_string, own_params=own_params)
    if not signature:
        raise SignatureError("no X-HelpScout-Signature query parameter")
    if not signature_matches(secret, data, signature):
        raise SignatureError("X-HelpScout-Signature does not match the query parameters")
    return context

"""How WooCommerce authenticates REST requests (WC_REST_Authentication).

Over HTTPS: HTTP Basic `consumer_key:consumer_secret`, or the same two as query parameters.
Over plain HTTP: OAuth 1.0a one-legged, HMAC-SHA1 or HMAC-SHA256 over the method, the URL and the
sorted, normalised parameters, keyed with `consumer_secret&`; the timestamp must be within 15
minutes and a nonce is accepted once. Basic credentials sent over HTTP are ignored, as the shop does.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote, unquote

from .store import Store, WooError

MAX_SKEW_SECONDS = 15 * 60


def authenticate(store: Store, *, scheme: str, method: str, base_url: str, args, authorization: str | None) -> None:
    """Raise WooError (401) unless the request carries this shop's API keys the accepted way."""
    if scheme == "https":
        key, secret = _basic(authorization) or (args.get("consumer_key"), args.get("consumer_secret"))
        if key is None:
            raise _error("woocommerce_rest_authentication_error", "Consumer key is missing.")
        if not (hmac.compare_digest(str(key), store.consumer_key)
                and hmac.compare_digest(str(secret or ""), store.consumer_secret)):
            raise _error("woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return
    _oauth(store, method, base_url, args)


def _basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        key, _, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return key, secret


def _oauth(store: Store, method: str, base_url: str, args) -> None:
    params = {k: args.get(k) for k in args}  # the SDK repeats its query; PHP keeps one value
    for required in ("oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature",
                     "oauth_signature_method"):
        if not params.get(required):
            raise _error("woocommerce_rest_authentication_missing_parameter",
                         f"{required} parameter is missing.")
    if not hmac.compare_digest(params["oauth_consumer_key"], store.consumer_key):
        raise _error("woocommerce_rest_authentication_error", "Consumer key is invalid.")
    digest = {"HMAC-SHA1": hashlib.sha1, "HMAC-SHA256": hashlib.sha256}.get(params["oauth_signature_method"])
    if digest is None:
        raise _error("woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.")
    given = params.pop("oauth_signature")
    if not hmac.compare_digest(given, signature(method, base_url, params, store.consumer_secret, digest)):
        raise _error("woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
    try:
        stamp = int(params["oauth_timestamp"])
    except ValueError:
        stamp = 0
    if abs(time.time() - stamp) > MAX_SKEW_SECONDS:
        raise _error("woocommerce_rest_authentication_error", "Invalid timestamp.")
    nonce = (params["oauth_consumer_key"], params["oauth_nonce"])
    if nonce in store.nonces:
        raise _error("woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
    store.nonces.add(nonce)


def signature(method: str, base_url: str, params: dict, secret: str, digest) -> str:
    """The OAuth 1.0a signature as WooCommerce computes it (keys sorted, values encoded twice)."""
    pairs = sorted((_encode(k), _encode(v)) for k, v in params.items())
    query = "%26".join(f"{k}%3D{v}" for k, v in pairs)
    base = f"{method.upper()}&{quote(base_url, '')}&{query}"
    mac = hmac.new(f"{secret}&".encode(), base.encode(), digest).digest()
    return base64.b64encode(mac).decode()


def _encode(value) -> str:
    return quote(unquote(str(value))).replace("%", "%25")


def _error(code: str, message: str) -> WooError:
    return WooError(401, code, message)

"""PayPal webhooks, verified offline: SHA256withRSA over
`transmission_id|transmission_time|webhook_id|crc32(raw body)` (crc32 as an unsigned decimal) with the
certificate at PAYPAL-CERT-URL.

The certificate URL must be https on a paypal.com host; only a connection whose api_base is a
loopback sandbox also accepts that sandbox's own certificate URL (and trusts its test root) — set
per connection, never by the request. The chain is validated with cryptography's X.509 verifier
against the public roots (certifi), for PayPal's message-verification host name, then the leaf's
public key is cached per URL until the certificate expires. The webhook id signed over is the
connection's own (credentials["webhook_id"]), so a delivery meant for another webhook fails.
Events are thin: the objects they name are refetched (charges, refunds, subscriptions, invoices).
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import threading
import zlib
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from ..errors import GatewayError, WebhookVerificationError
from ..records import GatewayEvent, ObjectKind
from . import mappers

TOLERANCE = timedelta(minutes=20)
CERT_PREFIX = "/v1/notifications/certs/"
SANDBOX_CA_PATH = "/v1/notifications/certs/ca"  # the loopback sandbox's test root (not a PayPal URL)
LIVE_NAME, SANDBOX_NAME = "messageverificationcerts.paypal.com", "messageverificationcerts.sandbox.paypal.com"
HEADERS = ("PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL")
Fetch = Callable[[str], bytes]
REFETCH_AFTER = timedelta(minutes=5)  # a failing cached key is refetched at most this often (forgeries)
_keys: OrderedDict[str, tuple[rsa.RSAPublicKey, datetime, datetime]] = OrderedDict()
_keys_lock = threading.Lock()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((str(v) for k, v in headers.items() if str(k).lower() == lowered), None)


def is_loopback(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cert_host_name(cert_url: str, api_base: str | None) -> str:
    """The host name the certificate must be issued to; WebhookVerificationError for a URL we refuse."""
    parts = urlsplit(cert_url)
    if api_base and is_loopback(api_base) and cert_url.startswith(api_base.rstrip("/") + CERT_PREFIX):
        return SANDBOX_NAME
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.port not in (None, 443) \
            or not (host == "paypal.com" or host.endswith(".paypal.com")) or not parts.path.startswith(CERT_PREFIX):
        raise WebhookVerificationError(f"PAYPAL-CERT-URL {cert_url[:200]!r} is not an https PayPal certificate URL")
    return SANDBOX_NAME if ".sandbox." in host else LIVE_NAME


def _roots(api_base: str | None, fetch: Fetch, sandbox: bool) -> list[x509.Certificate]:
    if sandbox and api_base and is_loopback(api_base):
        return x509.load_pem_x509_certificates(fetch(api_base.rstrip("/") + SANDBOX_CA_PATH))
    import certifi

    with open(certifi.where(), "rb") as bundle:
        return x509.load_pem_x509_certificates(bundle.read())


def public_key(cert_url: str, *, api_base: str | None, fetch: Fetch, cached_ok: bool = True) -> rsa.RSAPublicKey:
    """The verified leaf key for `cert_url`, from the cache or fetched and chain-checked now."""
    name = cert_host_name(cert_url, api_base)
    now = datetime.now(timezone.utc)
    with _keys_lock:
        cached = _keys.get(cert_url)
        fresh = cached is not None and cached[1] > now
        if fresh and (cached_ok or now - cached[2] < REFETCH_AFTER):
            return cached[0]
    try:
        chain = x509.load_pem_x509_certificates(fetch(cert_url))
        roots = _roots(api_base, fetch, name == SANDBOX_NAME and is_loopback(api_base))
        verifier = PolicyBuilder().store(Store(roots)).time(now).build_server_verifier(x509.DNSName(name))
        verifier.verify(chain[0], chain[1:])
    except (ValueError, VerificationError, GatewayError) as exc:
        raise WebhookVerificationError(f"PayPal webhook certificate not trusted: {str(exc)[:200]}") from None
    key = chain[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookVerificationError("PayPal webhook certificate does not hold an RSA key")
    with _keys_lock:
        _keys[cert_url] = (key, chain[0].not_valid_after_utc, now)
        while len(_keys) > 32:
            _keys.popitem(last=False)
    return key


def verify_signature(headers: Mapping[str, str], body: bytes, *, webhook_id: str | None, api_base: str | None,
                     fetch: Fetch, now: datetime | None = None) -> None:
    values = {name: (_header(headers, name) or "").strip() for name in HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise WebhookVerificationError(f"PayPal webhook lacks {', '.join(missing)}")
    if not webhook_id:
        raise WebhookVerificationError("no PayPal webhook id is stored for this connection (--webhook-id)")
    algo = (_header(headers, "PAYPAL-AUTH-ALGO") or "SHA256withRSA").strip()
    if algo != "SHA256withRSA":
        raise WebhookVerificationError(f"PayPal webhook signed with {algo[:40]!r}, not SHA256withRSA")
    try:
        sent = datetime.fromisoformat(values["PAYPAL-TRANSMISSION-TIME"].replace("Z", "+00:00"))
        signature = base64.b64decode(values["PAYPAL-TRANSMISSION-SIG"], validate=True)
    except (ValueError, binascii.Error):
        raise WebhookVerificationError("PayPal webhook transmission time or signature is malformed") from None
    sent = sent if sent.tzinfo else sent.replace(tzinfo=timezone.utc)
    if abs((now or datetime.now(timezone.utc)) - sent) > TOLERANCE:
        raise WebhookVerificationError("PayPal webhook transmission time is too far from now (stale or replayed)")
    message = (f"{values['PAYPAL-TRANSMISSION-ID']}|{values['PAYPAL-TRANSMISSION-TIME']}|{webhook_id}|"
               f"{zlib.crc32(body) & 0xFFFFFFFF}").encode()
    for cached_ok in (True, False):  # a failing cached key is refetched (a replaced certificate), rate-limited
        key = public_key(values["PAYPAL-CERT-URL"], api_base=api_base, fetch=fetch, cached_ok=cached_ok)
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            return
        except InvalidSignature:
            continue
    raise WebhookVerificationError("PayPal webhook signature does not match (wrong webhook id, or the body "
                                   "was changed)")


def verify_with_api(headers: Mapping[str, str], body: bytes, *, webhook_id: str | None,
                    ask: Callable[[dict], bool]) -> None:
    """The per-connection alternative: PayPal's verify-webhook-signature API (it re-serialises the
    parsed event, so it fails for bodies whose JSON does not round-trip byte for byte)."""
    values = {name: (_header(headers, name) or "").strip() for name in HEADERS}
    if not all(values.values()) or not webhook_id:
        raise WebhookVerificationError("PayPal webhook lacks its transmission headers, or no webhook id is stored")
    _check_time(values["PAYPAL-TRANSMISSION-TIME"])
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WebhookVerificationError("PayPal webhook body is not JSON", code="malformed_body") from None
    request = {"auth_algo": (_header(headers, "PAYPAL-AUTH-ALGO") or "SHA256withRSA").strip(),
               "cert_url": values["PAYPAL-CERT-URL"], "transmission_id": values["PAYPAL-TRANSMISSION-ID"],
               "transmission_sig": values["PAYPAL-TRANSMISSION-SIG"],
               "transmission_time": values["PAYPAL-TRANSMISSION-TIME"], "webhook_id": webhook_id,
               "webhook_event": event}
    try:
        verified = ask(request)
    except GatewayError as exc:
        raise WebhookVerificationError(f"PayPal could not verify the webhook: {exc.message[:200]}") from None
    if not verified:
        raise WebhookVerificationError("PayPal says the webhook signature does not match (verification FAILURE)")


def _check_time(raw: str, now: datetime | None = None) -> None:
    try:
        sent = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookVerificationError("PayPal webhook transmission time is malformed") from None
    sent = sent if sent.tzinfo else sent.replace(tzinfo=timezone.utc)
    if abs((now or datetime.now(timezone.utc)) - sent) > TOLERANCE:
        raise WebhookVerificationError("PayPal webhook transmission time is too far from now (stale or replayed)")


def parse_webhook(headers: Mapping[str, str], body: bytes, *, webhook_id: str | None, api_base: str | None,
                  fetch: Fetch, verify: bool = True, ask: Callable[[dict], bool] | None = None) -> GatewayEvent:
    """Verify (offline, or with PayPal's API when `ask` is given) and map the event."""
    if verify and ask is not None:
        verify_with_api(headers, body, webhook_id=webhook_id, ask=ask)
    elif verify:
        verify_signature(headers, body, webhook_id=webhook_id, api_base=api_base, fetch=fetch)
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str) or not payload["id"]:
            raise ValueError("not an event object with an id")
        return event_of(payload)
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise WebhookVerificationError(f"PayPal webhook body cannot be read: {str(exc)[:200]}",
                                       code="malformed_body") from None


def event_of(payload: dict) -> GatewayEvent:
    """A PayPal event -> what to refetch (resources are snapshots; the refetch is current)."""
    kind = str(payload.get("event_type") or "")
    resource = payload.get("resource") if isinstance(payload.get("resource"), dict) else {}
    rid = str(resource.get("id") or "")
    refetch: tuple[tuple[ObjectKind, str], ...] = ()
    if kind.startswith(("PAYMENT.CAPTURE.", "PAYMENT.AUTHORIZATION.")) and rid:
        if payload.get("resource_type") == "refund":
            capture = mappers.up_id(resource, "captures")
            refetch = ((ObjectKind.REFUND, rid),) + (((ObjectKind.CHARGE, capture),) if capture else ())
        else:
            refetch = ((ObjectKind.CHARGE, rid),)
    elif kind.startswith("BILLING.SUBSCRIPTION.") and rid:
        refetch = ((ObjectKind.SUBSCRIPTION, rid),)
    elif kind.startswith("INVOICING.INVOICE.") and rid:
        refetch = ((ObjectKind.INVOICE, rid),)
    return GatewayEvent(event_id=payload["id"], type=kind or "unknown",
                        created_at=mappers.when(payload.get("create_time")), refetch=refetch, known=bool(refetch))

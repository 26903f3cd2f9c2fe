"""The only module that imports the `stripe` SDK: one StripeClient per connection, errors translated.

Everything leaving this module is plain data (dicts, lists) or one of our GatewayError subclasses,
so the mappers and the adapter never see a StripeObject (which, since stripe 15, is not a dict).
Retries are the job layer's business, so the SDK's own network retries are off.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import quote_plus

import stripe

from ..contract import GatewayConfig
from ..errors import (
    GatewayAuthError, GatewayError, GatewayNotFound, GatewayRateLimited, GatewayRejected,
    GatewayUnavailable, WebhookVerificationError,
)

# The API version this SDK release was generated against ("2026-10-28.endive" for stripe 16.1.0);
# pinned so a dashboard default change at Stripe cannot reshape the objects our mappers read.
PINNED_API_VERSION: str = stripe.api_version
WEBHOOK_TOLERANCE_SECONDS = 300

Params = dict[str, Any]


def to_gateway_error(exc: stripe.StripeError) -> GatewayError:
    """Map one Stripe error onto our taxonomy; the one place that knows Stripe's error classes."""
    status = exc.http_status
    details = {"code": _error_code(exc), "http_status": status}
    message = exc.user_message or str(exc) or "Stripe returned an error"
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return GatewayAuthError(message, **details)
    if isinstance(exc, stripe.RateLimitError):
        return GatewayRateLimited(message, retry_after=_retry_after(exc), **details)
    if isinstance(exc, (stripe.APIConnectionError, stripe.APIError)) or (status or 0) >= 500:
        return GatewayUnavailable(message, **details)
    if status == 404 or details["code"] == "resource_missing":
        return GatewayNotFound(message, **details)
    return GatewayRejected(message, **details)  # CardError, InvalidRequestError, IdempotencyError


def _error_code(exc: stripe.StripeError) -> str | None:
    """Stripe's error code; an IdempotencyError has only its type, which we use as the code."""
    code = exc.code or getattr(exc.error, "code", None)
    if code is None and isinstance(exc, stripe.IdempotencyError):
        return "idempotency_error"
    return code


def _retry_after(exc: stripe.StripeError) -> float | None:
    headers = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
    try:
        return float(headers["retry-after"])
    except (KeyError, TypeError, ValueError):
        return None


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise any Stripe SDK error as our GatewayError, keeping the original as the cause."""
    try:
        yield
    except stripe.StripeError as exc:
        raise to_gateway_error(exc) from exc


def plain(value: Any) -> Any:
    """A StripeObject (or ListObject) as plain nested dicts; other values unchanged."""
    if isinstance(value, stripe.StripeObject):
        return value.to_dict(recursive=True)
    return value


_http_clients: dict[tuple[int, float], stripe.RequestsClient] = {}
_http_clients_lock = threading.Lock()


def shared_http_client(timeout: float) -> stripe.RequestsClient:
    """One HTTP client (connection pool) per process and timeout, shared by every connection.

    Jobs build a fresh adapter per run; sharing the pool lets them reuse open (TLS) connections
    to Stripe instead of a handshake per run. Only sockets are shared: the key and the account
    travel on each request. The SDK keeps one requests.Session per thread; the pid in the key
    keeps a forked child off its parent's sockets.
    """
    key = (os.getpid(), float(timeout))
    with _http_clients_lock:
        client = _http_clients.get(key)
        if client is None:
            client = _http_clients[key] = stripe.RequestsClient(timeout=timeout)
        return client


def build_stripe_client(config: GatewayConfig) -> stripe.StripeClient:
    """One client per connection: its own key, base URL, pinned version, timeout, no retries."""
    api_key = (config.credentials or {}).get("api_key")
    if not api_key:
        raise GatewayAuthError("the Stripe connection has no api_key credential")
    return stripe.StripeClient(
        api_key,
        stripe_version=PINNED_API_VERSION,
        base_addresses={"api": config.api_base} if config.api_base else None,
        max_network_retries=0,
        http_client=shared_http_client(config.timeout_seconds),
    )


def verify_stripe_signature(*, payload: bytes, header: str, secret: str,
                            tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> None:
    """Check a Stripe-Signature header with the SDK; WebhookVerificationError says why it failed.

    https://docs.stripe.com/webhooks#verify-official-libraries
    """
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance)
    except UnicodeDecodeError:
        raise WebhookVerificationError("webhook body is not UTF-8", code="malformed_body") from None
    except stripe.SignatureVerificationError as exc:
        text = exc.user_message or str(exc)
        code = ("timestamp_outside_tolerance" if text.startswith("Timestamp outside")
                else "malformed_header" if text.startswith("Unable to extract")
                else "no_matching_signature")
        raise WebhookVerificationError(text, code=code) from None


@dataclass(frozen=True)
class KeyedReply:
    """A keyed POST's object, and whether Stripe replayed the response it stored for the key
    (then the object, and anything expanded in it, is as it was at the first request)."""

    data: dict
    replayed: bool


class StripeApi:
    """The Stripe calls the adapter makes, each returning plain dicts; POSTs take an idempotency key."""

    def __init__(self, config: GatewayConfig):
        self._client = build_stripe_client(config)
        self._v1 = self._client.v1

    @staticmethod
    def _call(method: Callable[..., Any], *args: Any) -> Any:
        with translated_errors():
            return plain(method(*args))

    @staticmethod
    def _key(idempotency_key: str) -> Mapping[str, str]:
        return {"idempotency_key": idempotency_key}

    # --- reading ---------------------------------------------------------------------------
    def list(self, resource: str, params: Params) -> dict:
        """One page of a top-level list: customers, charges, refunds, subscriptions, invoices, disputes.

        https://docs.stripe.com/api/pagination (e.g. https://docs.stripe.com/api/charges/list)
        """
        return self._get_plain(f"/v1/{resource}", params)

    def _get_plain(self, path: str, params: Params) -> dict:
        """A GET through the SDK's own requestor, its JSON body parsed into plain dicts."""
        return self._request_plain("get", path, params)[0]

    def _request_plain(self, method: str, path: str, params: Params,
                       options: Mapping[str, str] | None = None) -> tuple[dict, Mapping[str, str]]:
        """A request through the SDK's own requestor: (JSON body as plain dicts, response headers).

        StripeClient.raw_request is this call but parses into OrderedDicts, which for a 100-object
        list page costs 2.4x the CPU of json.loads and was the largest single cost of a backfill;
        the SDK's resource methods also build StripeObjects, which for one charge cost more CPU
        than the HTTP round trip. Same steps as raw_request in the pinned SDK (auth, API version,
        encoding, idempotency key, HTTP client, logging); any non-2xx or unreadable body goes
        through the SDK's own error handling.
        """
        requestor = self._client._requestor
        with translated_errors():
            body, status, headers = requestor.request_raw(
                method, path, params, dict(options or {}), base_address="api", api_mode="V1",
                usage=["raw_request"])
            if 200 <= status < 300:
                try:
                    return json.loads(body), headers
                except ValueError:
                    pass
            requestor._interpret_response(body, status, headers, "V1")  # raises the typed error
        raise GatewayUnavailable("Stripe sent an unreadable response", http_status=status)

    def retrieve(self, resource: str, object_id: str, params: Params | None = None) -> dict:
        """One object by id (e.g. https://docs.stripe.com/api/charges/retrieve)."""
        return self._get_plain(f"/v1/{resource}/{quote_plus(object_id)}", params or {})

    def list_customer_tax_ids(self, customer_id: str, params: Params) -> dict:
        """https://docs.stripe.com/api/customer_tax_ids/list"""
        return self._call(self._v1.customers.tax_ids.list, customer_id, params)

    def list_promotion_codes(self, params: Params) -> dict:
        """https://docs.stripe.com/api/promotion_codes/list"""
        return self._call(self._v1.promotion_codes.list, params)

    # --- writing ---------------------------------------------------------------------------
    def create_refund(self, params: Params, *, idempotency_key: str) -> KeyedReply:
        """https://docs.stripe.com/api/refunds/create (and /idempotent_requests: a replay is flagged
        by the Idempotent-Replayed header)."""
        data, headers = self._request_plain("post", "/v1/refunds", params, self._key(idempotency_key))
        return KeyedReply(data, replayed=headers.get("Idempotent-Replayed") == "true")

    def capture_payment_intent(self, intent_id: str, params: Params, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/payment_intents/capture"""
        return self._call(self._v1.payment_intents.capture, intent_id, params,
                          self._key(idempotency_key))

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/payment_intents/cancel"""
        return self._call(self._v1.payment_intents.cancel, intent_id, {},
                          self._key(idempotency_key))

    def capture_charge(self, charge_id: str, params: Params, *, idempotency_key: str) -> dict:
        """Legacy (non-PaymentIntent) charges. https://docs.stripe.com/api/charges/capture"""
        return self._call(self._v1.charges.capture, charge_id, params, self._key(idempotency_key))

    def create_subscription(self, params: Params, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/subscriptions/create"""
        return self._call(self._v1.subscriptions.create, params, self._key(idempotency_key))

    def update_subscription(self, subscription_id: str, params: Params, *,
                            idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/subscriptions/update"""
        return self._call(self._v1.subscriptions.update, subscription_id, params,
                          self._key(idempotency_key))

    def cancel_subscription(self, subscription_id: str, params: Params) -> dict:
        """A DELETE, which Stripe does not key. https://docs.stripe.com/api/subscriptions/cancel"""
        return self._call(self._v1.subscriptions.cancel, subscription_id, params)

    def create_invoice(self, params: Params, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/invoices/create"""
        return self._call(self._v1.invoices.create, params, self._key(idempotency_key))

    def create_invoice_item(self, params: Params, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/invoiceitems/create"""
        return self._call(self._v1.invoice_items.create, params, self._key(idempotency_key))

    def finalize_invoice(self, invoice_id: str, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/invoices/finalize"""
        return self._call(self._v1.invoices.finalize_invoice, invoice_id, {},
                          self._key(idempotency_key))

    def send_invoice(self, invoice_id: str, *, idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/invoices/send"""
        return self._call(self._v1.invoices.send_invoice, invoice_id, {},
                          self._key(idempotency_key))

    def create_customer_tax_id(self, customer_id: str, params: Params, *,
                               idempotency_key: str) -> dict:
        """https://docs.stripe.com/api/customer_tax_ids/create"""
        return self._call(self._v1.customers.tax_ids.create, customer_id, params,
                          self._key(idempotency_key))

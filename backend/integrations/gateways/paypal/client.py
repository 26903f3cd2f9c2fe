"""The only module that imports the PayPal SDK (`paypal-server-sdk` 2.4.0, APIMatic, on requests).

Orders, Payments, Subscriptions and Transaction Search go through the SDK's controllers; Invoicing
v2 has no SDK controller, so it is called with `requests` here, with the SDK's OAuth2 token. The
SDK is pointed at a loopback sandbox (or a region) through its public `Configuration.environments`.
Methods return decoded JSON (read only by mappers.py) and raise only our GatewayError taxonomy,
keeping PayPal's {name, message, debug_id, details[{issue}]}. Amounts go in as decimal strings.
Docs: https://developer.paypal.com/api/rest/
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable

import requests
from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.capture_request import CaptureRequest
from paypalserversdk.models.money import Money
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.models.cancel_subscription_request import CancelSubscriptionRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from ..contract import GatewayConfig
from ..errors import (
    GatewayAuthError, GatewayError, GatewayNotFound, GatewayRateLimited, GatewayRejected, GatewayUnavailable,
)

LIVE = "https://api-m.paypal.com"
SANDBOX = "https://api-m.sandbox.paypal.com"
_tokens: dict[tuple[str, str], Any] = {}  # (base URL, client id) -> OAuthToken, shared by adapters
_tokens_lock = threading.Lock()


def base_url(config: GatewayConfig) -> str:
    """api_base (a loopback sandbox) wins; settings["environment"] == "sandbox" is PayPal's sandbox."""
    if config.api_base:
        return config.api_base.rstrip("/")
    return SANDBOX if config.settings.get("environment") == "sandbox" else LIVE


class _Configuration(Configuration):
    """The SDK's Configuration with every environment pointed at one base URL (public API only)."""

    def __init__(self, *, base: str, **kwargs):
        self.environments = {env: {Server.DEFAULT: base} for env in Environment}
        super().__init__(**kwargs)


class PayPalClient:
    """Thin calls on one PayPal REST app (client id + secret)."""

    def __init__(self, config: GatewayConfig):
        creds = config.credentials
        for name in ("client_id", "client_secret"):
            if not creds.get(name):
                raise ValueError(f"PayPal needs --{name.replace('_', '-')} (a REST app's credentials)")
        self.base = base_url(config)
        self.client_id, self.client_secret = creds["client_id"], creds["client_secret"]
        self.timeout = config.timeout_seconds
        self.http = requests.Session()
        self.sdk = self._build_sdk()

    def _build_sdk(self) -> PaypalServersdkClient:
        credentials = ClientCredentialsAuthCredentials(
            o_auth_client_id=self.client_id, o_auth_client_secret=self.client_secret,
            o_auth_token=_tokens.get((self.base, self.client_id)), o_auth_on_token_update=self._remember)
        return PaypalServersdkClient(config=_Configuration(
            base=self.base, timeout=self.timeout, max_retries=0, client_credentials_auth_credentials=credentials))

    def _remember(self, token) -> None:
        with _tokens_lock:
            _tokens[(self.base, self.client_id)] = token

    def _forget_token(self) -> None:
        with _tokens_lock:
            _tokens.pop((self.base, self.client_id), None)
        self.sdk = self._build_sdk()

    def access_token(self) -> str:
        """The app's Bearer token (POST /v1/oauth2/token through the SDK), cached until it expires."""
        token = _tokens.get((self.base, self.client_id))
        if token is None or self.sdk.oauth_2.is_token_expired(token):
            token = self._sdk(lambda: self.sdk.oauth_2.fetch_token(), raw=True)
            self._remember(token)
        return token.access_token

    # --- calling --------------------------------------------------------------------------------
    def _sdk(self, call: Callable[[], Any], *, raw: bool = False, retried: bool = False) -> Any:
        """One SDK call; its JSON body (None for 204), else the mapped GatewayError."""
        try:
            response = call()
        except AuthValidationException:
            if not retried and _tokens.get((self.base, self.client_id)) is not None:
                self._forget_token()
                return self._sdk(call, raw=raw, retried=True)
            raise GatewayAuthError("PayPal refused the client id and secret (OAuth2 client credentials); "
                                   "check the REST app's credentials or reconnect", code="invalid_client") from None
        except ApiException as exc:
            if exc.response_code == 401 and not retried:  # a revoked or expired token: fetch a new one once
                self._forget_token()
                return self._sdk(call, raw=raw, retried=True)
            raise error_for(exc.response_code, exc.response.text) from None
        except requests.Timeout as exc:
            raise GatewayUnavailable("PayPal did not answer in time") from exc
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"PayPal unreachable: {type(exc).__name__}") from exc
        if raw:
            return response
        return _decode(response.text)

    def _rest(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None,
              request_id: str | None = None, retried: bool = False) -> Any:
        """A call the SDK has no controller for (Invoicing v2), with the SDK's token."""
        headers = {"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json",
                   "Prefer": "return=representation"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        try:
            response = self.http.request(method, self.base + path, params=params, json=body, headers=headers,
                                         timeout=self.timeout)
        except requests.Timeout as exc:
            raise GatewayUnavailable("PayPal did not answer in time") from exc
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"PayPal unreachable: {type(exc).__name__}") from exc
        if response.status_code == 401 and not retried:
            self._forget_token()
            return self._rest(method, path, params=params, body=body, request_id=request_id, retried=True)
        if response.status_code >= 300:
            raise error_for(response.status_code, response.text)
        return _decode(response.text)

    # --- orders and payments --------------------------------------------------------------------
    def order(self, order_id: str) -> dict:
        """https://developer.paypal.com/docs/api/orders/v2/#orders_get"""
        return self._sdk(lambda: self.sdk.orders.get_order({"id": order_id}))

    def capture(self, capture_id: str) -> dict:
        """https://developer.paypal.com/docs/api/payments/v2/#captures_get"""
        return self._sdk(lambda: self.sdk.payments.get_captured_payment({"capture_id": capture_id}))

    def authorization(self, authorization_id: str) -> dict:
        """https://developer.paypal.com/docs/api/payments/v2/#authorizations_get"""
        return self._sdk(lambda: self.sdk.payments.get_authorized_payment({"authorization_id": authorization_id}))

    def refund(self, refund_id: str) -> dict:
        """https://developer.paypal.com/docs/api/payments/v2/#refunds_get"""
        return self._sdk(lambda: self.sdk.payments.get_refund({"refund_id": refund_id}))

    def refund_capture(self, capture_id: str, *, amount: tuple[str, str] | None, note: str | None,
                       custom_id: str, request_id: str) -> dict:
        """https://developer.paypal.com/docs/api/payments/v2/#captures_refund (no amount = all that is left)"""
        body = RefundRequest(custom_id=custom_id[:127], **({"note_to_payer": note[:255]} if note else {}),
                             **({"amount": Money(currency_code=amount[1], value=amount[0])} if amount else {}))
        return self._sdk(lambda: self.sdk.payments.refund_captured_payment({
            "capture_id": capture_id, "paypal_request_id": request_id, "prefer": "return=representation",
            "body": body}))

    def capture_authorization(self, authorization_id: str, *, amount: tuple[str, str] | None,
                              request_id: str) -> dict:
        """https://developer.paypal.com/docs/api/payments/v2/#authorizations_capture (final)"""
        body = CaptureRequest(final_capture=True,
                              **({"amount": Money(currency_code=amount[1], value=amount[0])} if amount else {}))
        return self._sdk(lambda: self.sdk.payments.capture_authorized_payment({
            "authorization_id": authorization_id, "paypal_request_id": request_id,
            "prefer": "return=representation", "body": body}))

    def void_authorization(self, authorization_id: str, *, request_id: str) -> None:
        """https://developer.paypal.com/docs/api/payments/v2/#authorizations_void"""
        self._sdk(lambda: self.sdk.payments.void_payment({"authorization_id": authorization_id,
                                                          "paypal_request_id": request_id}))

    # --- subscriptions --------------------------------------------------------------------------
    def subscription(self, subscription_id: str) -> dict:
        """https://developer.paypal.com/docs/api/subscriptions/v1/#subscriptions_get"""
        return self._sdk(lambda: self.sdk.subscriptions.get_subscription({"id": subscription_id}))

    def subscriptions(self, *, page: int, page_size: int) -> dict:
        return self._sdk(lambda: self.sdk.subscriptions.list_subscriptions({"page": page, "page_size": page_size}))

    def cancel_subscription(self, subscription_id: str, *, reason: str) -> None:
        """https://developer.paypal.com/docs/api/subscriptions/v1/#subscriptions_cancel (204)"""
        self._sdk(lambda: self.sdk.subscriptions.cancel_subscription({
            "id": subscription_id, "body": CancelSubscriptionRequest(reason=reason[:128])}))

    # --- reporting ------------------------------------------------------------------------------
    def transactions(self, *, start: str, end: str, page: int, page_size: int) -> dict:
        """https://developer.paypal.com/docs/api/transaction-search/v1/ (end - start <= 31 days)"""
        return self._sdk(lambda: self.sdk.transaction_search.search_transactions({
            "start_date": start, "end_date": end, "page": page, "page_size": page_size, "fields": "all"}))

    # --- invoicing (no SDK controller) ----------------------------------------------------------
    def invoices(self, *, page: int, page_size: int) -> dict:
        """https://developer.paypal.com/docs/api/invoicing/v2/#invoices_list"""
        return self._rest("GET", "/v2/invoicing/invoices",
                          params={"page": page, "page_size": page_size, "total_required": "true"})

    def invoice(self, invoice_id: str) -> dict:
        """https://developer.paypal.com/docs/api/invoicing/v2/#invoices_get"""
        return self._rest("GET", f"/v2/invoicing/invoices/{_segment(invoice_id)}")

    def create_invoice(self, body: dict, *, request_id: str) -> dict:
        """https://developer.paypal.com/docs/api/invoicing/v2/#invoices_create (a DRAFT)"""
        return self._rest("POST", "/v2/invoicing/invoices", body=body, request_id=request_id)

    def send_invoice(self, invoice_id: str, *, request_id: str) -> dict:
        """https://developer.paypal.com/docs/api/invoicing/v2/#invoices_send"""
        return self._rest("POST", f"/v2/invoicing/invoices/{_segment(invoice_id)}/send",
                          body={"send_to_recipient": True, "send_to_invoicer": False}, request_id=request_id)

    def remind_invoice(self, invoice_id: str, *, request_id: str) -> None:
        """https://developer.paypal.com/docs/api/invoicing/v2/#invoices_remind (the payment request)"""
        self._rest("POST", f"/v2/invoicing/invoices/{_segment(invoice_id)}/remind",
                   body={"send_to_recipient": True}, request_id=request_id)

    def verify_webhook_signature(self, body: dict) -> bool:
        """https://developer.paypal.com/docs/api/webhooks/v1/#verify-webhook-signature_post"""
        answer = self._rest("POST", "/v1/notifications/verify-webhook-signature", body=body)
        return isinstance(answer, dict) and answer.get("verification_status") == "SUCCESS"

    def certificate(self, url: str) -> bytes:
        """The PEM chain at a PAYPAL-CERT-URL (the caller has checked the URL)."""
        try:
            response = self.http.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"PayPal certificate unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise GatewayUnavailable(f"PayPal certificate URL answered HTTP {response.status_code}")
        return response.content


def _segment(object_id: str) -> str:
    """An id as one path segment (ids with / ? # cannot exist at PayPal)."""
    if not object_id or any(c in str(object_id) for c in "/?#%\\ "):
        raise GatewayNotFound(f"PayPal has no object {object_id!r}", code="INVALID_RESOURCE_ID")
    return str(object_id)


def _decode(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise GatewayUnavailable("PayPal answered with something that is not JSON") from None


def error_for(status: int, text: str | None) -> GatewayError:
    """A PayPal error answer ({name, message, debug_id, details[{issue, description}]}) in our taxonomy."""
    try:
        payload = json.loads(text or "")
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    details = [d for d in payload.get("details") or () if isinstance(d, dict)]
    issue = str(details[0].get("issue")) if details and details[0].get("issue") else None
    code = issue or str(payload.get("name") or payload.get("error") or f"http_{status}")
    described = details[0].get("description") if details else None
    message = str(described or payload.get("message") or payload.get("error_description")
                  or f"PayPal answered HTTP {status}")
    message = " ".join(message.split())[:500]
    if payload.get("debug_id"):
        message = f"{message} (debug id {payload['debug_id']})"
    if status in (401, 403):
        return GatewayAuthError(f"PayPal refused the request ({message}); check the REST app's permissions "
                                "or reconnect", code=code, http_status=status)
    if status == 404:
        return GatewayNotFound(message, code=code, http_status=status)
    if status == 429:
        return GatewayRateLimited("PayPal rate limit reached", code=code, http_status=status)
    if status >= 500:
        return GatewayUnavailable(f"PayPal error: {message}", code=code, http_status=status)
    return GatewayRejected(message, code=code, http_status=status)

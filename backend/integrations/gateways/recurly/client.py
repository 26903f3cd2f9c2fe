"""The only module that imports the Recurly SDK (`recurly` 4.x, API v2021-02-25).

It builds the SDK client (including the loopback connection for the sandbox), sends our
idempotency key as `Idempotency-Key` on every POST/PUT/DELETE, and turns SDK exceptions into
the GatewayError taxonomy. It returns SDK resources; mappers.py turns them into records.
API reference: https://recurly.com/developers/api/v2021-02-25/
"""
from __future__ import annotations

import http.client
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import recurly
from recurly import errors as sdk_errors

from ..contract import GatewayConfig
from ..errors import (GatewayAuthError, GatewayError, GatewayNotFound, GatewayRateLimited,
                      GatewayRejected, GatewayUnavailable)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
REGIONS = ("us", "eu")


def build_sdk_client(config: GatewayConfig) -> recurly.Client:
    """A recurly.Client for `config`: its region, or the host given by `config.api_base`."""
    api_key = (config.credentials or {}).get("api_key")
    if not api_key:
        raise GatewayAuthError("Recurly needs an api_key credential")
    region = config.settings.get("region", "us")
    if region not in REGIONS:
        raise ValueError(f"Recurly region must be one of {REGIONS}, not {region!r}")
    sdk = recurly.Client(api_key, timeout=config.timeout_seconds, region=region)
    if config.api_base:
        replace_connection(sdk, connection_for(config.api_base, timeout=config.timeout_seconds))
    return sdk


def connection_for(api_base: str, *, timeout: float) -> http.client.HTTPConnection:
    """An http.client connection to `api_base` (scheme://host[:port], no path).

    Plain http is allowed only for loopback hosts, so an API key never crosses a network
    unencrypted; https works for any host (a proxy, a regional endpoint).
    """
    parts = urlsplit(api_base)
    if parts.path not in ("", "/") or parts.query or not parts.hostname:
        raise ValueError(f"api_base must look like scheme://host[:port], got {api_base!r}")
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    if parts.scheme == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout)
    raise ValueError(f"api_base {api_base!r}: use https, or http on a loopback host")


def replace_connection(sdk: recurly.Client, connection: http.client.HTTPConnection) -> None:
    """Point the SDK at another host. The one contained hack in this package.

    recurly 4.x has no base-URL option: BaseClient.__init__ opens
    http.client.HTTPSConnection("v3.recurly.com", 443) and keeps it in the name-mangled
    private attribute `_BaseClient__conn`, which every request uses. We swap that object.
    The check below makes an SDK upgrade that renames it fail loudly here, instead of
    silently sending sandbox traffic to the real API.
    """
    sdk_connection(sdk).close()
    sdk._BaseClient__conn = connection


def sdk_connection(sdk: recurly.Client) -> http.client.HTTPConnection:
    """The SDK's single private connection (see replace_connection), checked to exist."""
    current = getattr(sdk, "_BaseClient__conn", None)
    if not isinstance(current, http.client.HTTPConnection):
        raise RuntimeError("recurly SDK no longer keeps its connection in _BaseClient__conn")
    return current


@dataclass(frozen=True)
class ListPage:
    """One page of a Recurly listing and the API's own `next` path (None when done)."""

    data: list
    next_path: str | None


class RecurlyClient:
    """Thin, error-translating wrapper over recurly.Client for the calls the adapter makes.

    One HTTP connection per instance: use one instance per thread/job.
    """

    def __init__(self, config: GatewayConfig):
        self._sdk = build_sdk_client(config)

    # --- reads (ids may be prefixed: code-, uuid-, number- as each endpoint documents) ---------
    def get_account(self, account_id: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/get_account"""
        with self._translated():
            return self._sdk.get_account(account_id)

    def get_transaction(self, transaction_id: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/get_transaction"""
        with self._translated():
            return self._sdk.get_transaction(transaction_id)

    def get_invoice(self, invoice_id: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/get_invoice"""
        with self._translated():
            return self._sdk.get_invoice(invoice_id)

    def invoice_line_items(self, invoice_id: str) -> list:
        """https://developers.recurly.com/api/v2021-02-25#operation/list_invoice_line_items"""
        with self._translated():
            return list(self._sdk.list_invoice_line_items(invoice_id,
                                                          params={"limit": 200}).items())

    def get_subscription(self, subscription_id: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/get_subscription"""
        with self._translated():
            return self._sdk.get_subscription(subscription_id)

    def get_plan(self, plan_id: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/get_plan"""
        with self._translated():
            return self._sdk.get_plan(plan_id)

    def account_transactions(self, account_id: str, *, type_: str) -> list:
        """https://developers.recurly.com/api/v2021-02-25#operation/list_account_transactions"""
        with self._translated():
            pager = self._sdk.list_account_transactions(
                account_id, params={"type": type_, "limit": 200})
            return list(pager.items())

    def account_invoices(self, account_id: str, *, type_: str):
        """Newest first, one page at a time (reconcile usually stops on the first page).

        https://developers.recurly.com/api/v2021-02-25#operation/list_account_invoices
        """
        pager = self._sdk.list_account_invoices(account_id, params={"type": type_, "limit": 200})
        items = pager.items()
        while True:
            with self._translated():
                item = next(items, None)
            if item is None:
                return
            yield item

    def active_coupon_codes(self, account_id: str) -> tuple[str, ...]:
        """Active coupon codes on the account.

        https://developers.recurly.com/api/v2021-02-25#operation/list_active_coupon_redemptions
        """
        with self._translated():
            found = self._sdk.list_active_coupon_redemptions(account_id).items()
            return tuple(r.coupon.code for r in found if r.coupon is not None)

    def list_page(self, path: str, *, params: dict | None = None,
                  next_path: str | None = None) -> ListPage:
        """One page of a site-wide listing (/accounts, /transactions …) and its `next` link.

        The SDK's Pager keeps the `next` link private, but a restart-safe sync must store it.
        So we issue the very GET the SDK's own PageIterator issues (BaseClient._make_request)
        and keep `next`. A stored `next_path` must belong to `path`, so a corrupted cursor
        cannot send us elsewhere.
        https://developers.recurly.com/api/v2021-02-25#section/Getting-Started/Pagination
        """
        if next_path is not None and not next_path.startswith(path + "?"):
            raise ValueError(f"cursor {next_path!r} does not continue a {path} listing")
        with self._translated():
            if next_path is not None:
                page = self._sdk._make_request("GET", next_path, None)
            else:
                page = self._sdk._make_request("GET", path, None, params=params or {})
        following = _relative(page.next) if page.has_more else None
        return ListPage(data=list(page.data), next_path=following)

    # --- writes (each carries our idempotency key) ----------------------------------------------
    def update_account(self, account_id: str, body: dict, *, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/update_account"""
        with self._translated():
            return self._sdk.update_account(account_id, body, **_keyed(idempotency_key))

    def update_billing_info(self, account_id: str, body: dict, *, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/update_billing_info"""
        with self._translated():
            return self._sdk.update_billing_info(account_id, body, **_keyed(idempotency_key))

    def refund_invoice(self, invoice_id: str, body: dict, *, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/refund_invoice"""
        with self._translated():
            return self._sdk.refund_invoice(invoice_id, body, **_keyed(idempotency_key))

    def collect_invoice(self, invoice_id: str, *, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/collect_invoice"""
        with self._translated():
            return self._sdk.collect_invoice(invoice_id, **_keyed(idempotency_key))

    def create_subscription(self, body: dict, *, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/create_subscription"""
        with self._translated():
            return self._sdk.create_subscription(body, **_keyed(idempotency_key))

    def cancel_subscription(self, subscription_id: str, *, timeframe: str, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/cancel_subscription"""
        with self._translated():
            return self._sdk.cancel_subscription(
                subscription_id, body={"timeframe": timeframe}, **_keyed(idempotency_key))

    def terminate_subscription(self, subscription_id: str, *, refund: str, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/terminate_subscription"""
        with self._translated():
            return self._sdk.terminate_subscription(
                subscription_id, params={"refund": refund}, **_keyed(idempotency_key))

    def create_coupon_redemption(self, account_id: str, body: dict, *, idempotency_key: str):
        """https://developers.recurly.com/api/v2021-02-25#operation/create_coupon_redemption"""
        with self._translated():
            return self._sdk.create_coupon_redemption(account_id, body,
                                                      **_keyed(idempotency_key))

    # --- errors ---------------------------------------------------------------------------------
    @contextmanager
    def _translated(self):
        """Map SDK exceptions to GatewayError; reset the connection after transport errors."""
        try:
            yield
        except recurly.ApiError as exc:
            raise gateway_error(exc) from exc
        except (recurly.NetworkError, http.client.HTTPException, OSError) as exc:
            sdk_connection(self._sdk).close()  # a half-used connection poisons the next call
            raise GatewayUnavailable(f"Recurly could not be reached: {exc}") from exc


def gateway_error(exc: recurly.ApiError) -> GatewayError:
    """The GatewayError for one SDK ApiError, with Recurly's message, type and HTTP status."""
    detail = getattr(exc, "error", None)
    message = getattr(detail, "message", None) or str(exc)
    kw = {"code": getattr(detail, "type", None) or type(exc).__name__,
          "http_status": _status(detail)}
    if isinstance(exc, (sdk_errors.UnauthorizedError, sdk_errors.ForbiddenError)):
        return GatewayAuthError(message, **kw)
    if isinstance(exc, sdk_errors.TooManyRequestsError):
        return GatewayRateLimited(message, retry_after=_retry_after(detail), **kw)
    if isinstance(exc, sdk_errors.NotFoundError):
        return GatewayNotFound(message, **kw)
    if isinstance(exc, sdk_errors.ClientError):  # ValidationError, TransactionError, other 4xx
        return GatewayRejected(message, **kw)
    return GatewayUnavailable(message, **kw)  # 5xx, timeouts, and errors without a status


def _keyed(idempotency_key: str) -> dict:
    if not idempotency_key:
        raise ValueError("every Recurly write needs an idempotency key")
    return {"headers": {"Idempotency-Key": idempotency_key}}


def _response(detail):
    try:
        return detail.get_response() if detail is not None else None
    except AttributeError:
        return None


def _status(detail) -> int | None:
    response = _response(detail)
    return getattr(response, "status", None)


def _retry_after(detail) -> float | None:
    reset = getattr(_response(detail), "rate_limit_reset", None)  # naive UTC from the SDK
    if reset is None:
        return None
    return max((reset.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)).total_seconds(),
               0.0)


def _relative(link: str | None) -> str | None:
    """Recurly's `next` may be a path or an absolute URL; keep path + query."""
    if not link:
        return None
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path

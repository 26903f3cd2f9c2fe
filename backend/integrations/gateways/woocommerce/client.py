"""The only module that imports the WooCommerce SDK (`woocommerce` 3.0.0, REST API v3).

The SDK signs each request the way the shop expects: HTTP Basic over https, OAuth 1.0a
(HMAC-SHA256) over plain http. Methods return the decoded JSON (read only by mappers.py) and
raise only our GatewayError taxonomy, with WooCommerce's {code, message, data: {status}} kept.
Amounts go in as decimal strings already converted by the adapter.
Docs: https://woocommerce.github.io/woocommerce-rest-api-docs/
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from woocommerce import API

from ..contract import GatewayConfig
from ..errors import (
    GatewayAuthError, GatewayError, GatewayNotFound, GatewayRateLimited, GatewayRejected, GatewayUnavailable,
)

# WooCommerce answers 500 when wc_create_refund() or the payment plugin says no: a final answer.
FINAL_SERVER_CODES = frozenset({"woocommerce_rest_cannot_create_order_refund"})
NO_ROUTE = "rest_no_route"


@dataclass(frozen=True)
class Listing:
    items: list[dict]
    total: int
    total_pages: int


def shop_url(config: GatewayConfig) -> str:
    """api_base (a loopback sandbox) wins over the shop's own URL; one of them is required."""
    url = config.api_base or config.credentials.get("store_url")
    if not url or not str(url).startswith(("http://", "https://")):
        raise ValueError("WooCommerce needs the shop's URL: pass --store-url https://shop.example")
    return str(url).rstrip("/")


class WooCommerceClient:
    """Thin calls on one shop's REST API."""

    def __init__(self, config: GatewayConfig):
        creds = config.credentials
        for name in ("consumer_key", "consumer_secret"):
            if not creds.get(name):
                raise ValueError(f"WooCommerce needs --{name.replace('_', '-')}")
        settings = config.settings
        self.api = API(url=shop_url(config), consumer_key=creds["consumer_key"],
                       consumer_secret=creds["consumer_secret"], version="wc/v3",
                       timeout=config.timeout_seconds, verify_ssl=settings.get("ca_bundle") or True,
                       query_string_auth=bool(settings.get("query_string_auth")),
                       user_agent="ChargeDesk (WooCommerce-Python-REST-API/3.0.0)")

    def call(self, method: str, endpoint: str, *, params: dict | None = None, data: dict | None = None):
        """One request; the response for a 2xx, else the mapped GatewayError."""
        try:
            if method == "GET":
                response = self.api.get(endpoint, params=dict(params or {}))
            elif method == "POST":
                response = self.api.post(endpoint, data or {}, params=dict(params or {}))
            else:
                response = self.api.put(endpoint, data or {}, params=dict(params or {}))
        except requests.Timeout as exc:
            raise GatewayUnavailable("WooCommerce did not answer in time") from exc
        except requests.RequestException as exc:
            raise GatewayUnavailable(f"WooCommerce unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise error_for(response)
        return response

    def json(self, method: str, endpoint: str, **kwargs) -> Any:
        response = self.call(method, endpoint, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise GatewayUnavailable("WooCommerce answered with something that is not JSON "
                                     "(a caching plugin or a maintenance page?)") from None

    def listing(self, endpoint: str, params: dict) -> Listing:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#pagination"""
        response = self.call("GET", endpoint, params=params)
        try:
            items = response.json()
            total = int(response.headers.get("X-WP-Total", len(items)))
            pages = int(response.headers.get("X-WP-TotalPages", 1))
        except ValueError:
            raise GatewayUnavailable("WooCommerce sent a listing that cannot be read") from None
        if not isinstance(items, list):
            raise GatewayUnavailable("WooCommerce sent a listing that is not a list")
        return Listing(items, total, pages)

    # --- orders ---------------------------------------------------------------------------------
    def order(self, order_id: int) -> dict:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order"""
        return self.json("GET", f"orders/{order_id}")

    def refunds(self, order_id: int) -> list[dict]:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-refunds"""
        return self.listing(f"orders/{order_id}/refunds", {"per_page": 100, "orderby": "id", "order": "asc"}).items

    def orders_by_id(self, order_ids: list[int]) -> list[dict]:
        """Up to 100 orders in one request (include=...)."""
        return self.listing("orders", {"include": ",".join(str(i) for i in sorted(set(order_ids))),
                                       "per_page": 100}).items

    def refund(self, order_id: int, refund_id: int) -> dict:
        return self.json("GET", f"orders/{order_id}/refunds/{refund_id}")

    def create_refund(self, order_id: int, *, amount: str, reason: str, meta: dict[str, str]) -> dict:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#create-a-refund
        api_refund: the shop's payment plugin gives the money back through its processor."""
        body = {"amount": amount, "reason": reason, "api_refund": True, "api_restock": False,
                "meta_data": [{"key": k, "value": v} for k, v in meta.items()]}
        return self.json("POST", f"orders/{order_id}/refunds", data=body)

    def send_order_details(self, order_id: int) -> dict:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#send-order-details-to-customer"""
        return self.json("POST", f"orders/{order_id}/actions/send_order_details")

    def notes(self, order_id: int) -> list[dict]:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-order-notes"""
        return self.json("GET", f"orders/{order_id}/notes")

    def add_note(self, order_id: int, note: str) -> dict:
        return self.json("POST", f"orders/{order_id}/notes", data={"note": note, "customer_note": False})

    # --- customers and subscriptions ------------------------------------------------------------
    def customer(self, customer_id: int) -> dict:
        """https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-a-customer"""
        return self.json("GET", f"customers/{customer_id}")

    def subscription(self, subscription_id: int) -> dict:
        """WooCommerce Subscriptions: GET /wc/v3/subscriptions/<id>"""
        return self.json("GET", f"subscriptions/{subscription_id}")

    def update_subscription(self, subscription_id: int, *, status: str) -> dict:
        return self.json("PUT", f"subscriptions/{subscription_id}", data={"status": status})

    def has_subscriptions_extension(self) -> bool:
        """Whether the shop serves wc/v3/subscriptions (WooCommerce Subscriptions is active)."""
        try:
            self.listing("subscriptions", {"per_page": 1})
        except GatewayNotFound as exc:
            if exc.code == NO_ROUTE:
                return False
            raise
        return True


def error_for(response) -> GatewayError:
    """A WooCommerce error answer ({code, message, data: {status}}) in our taxonomy."""
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    code = str(payload.get("code") or f"http_{status}")
    message = " ".join(str(payload.get("message") or f"WooCommerce answered HTTP {status}").split())[:500]
    if status in (401, 403):
        return GatewayAuthError(f"WooCommerce refused the API keys ({message}); check the key's "
                                "permissions (Read/Write) or reconnect", code=code, http_status=status)
    if status == 404 or code == NO_ROUTE:
        return GatewayNotFound(message, code=code, http_status=status)
    if status == 429:
        return GatewayRateLimited("WooCommerce rate limit reached", code=code, http_status=status)
    if status >= 500 and code not in FINAL_SERVER_CODES:
        return GatewayUnavailable(f"WooCommerce error: {message}", code=code, http_status=status)
    return GatewayRejected(message, code=code, http_status=status)

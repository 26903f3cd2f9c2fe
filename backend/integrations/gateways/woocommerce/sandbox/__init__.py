"""A stateful loopback emulator of the WooCommerce REST API v3 subset ChargeDesk uses.

It proves the adapter speaks the documented contract through the real `woocommerce` package; it
does not prove a live shop behaves the same. Shapes follow woocommerce/woocommerce-rest-api-docs
(wp-api-v3: orders, order-refunds, order-actions, order-notes, customers, webhooks) and the
WooCommerce Subscriptions REST API. Rules enforced: OAuth 1.0a over http / Basic over https,
refund <= total - refunded, automatic refunds only through a gateway plugin that supports them,
fully refunded -> "refunded", subscription status transitions, error bodies {code, message,
data: {status}}, X-WP-Total / X-WP-TotalPages paging, signed webhooks and the creation ping.
Not emulated: taxes, shipping, coupons, line-item refunds, restocking, order search.

    sb = WooCommerceSandbox()
    sb.start()                  # http://127.0.0.1:<port> (OAuth 1.0a); start(tls=True) for Basic
    config = sb.gateway_config(webhook_secrets=("s",))
    sb.fail_next(1, status=500, path_prefix="/orders/12/refunds", after_commit=True)
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import make_server

from backend.integrations.gateways.contract import GatewayConfig
from backend.integrations.gateways.sandbox_server import QuietRequestHandler

from . import render
from .app import create_app
from .notify import delivery, deliver_pending, ping, post, sign
from .store import Store, WooError
from .tls import self_signed

__all__ = ["WooCommerceSandbox", "WooError", "sign"]


@dataclass
class _Running:
    server: object
    thread: threading.Thread
    url: str


class WooCommerceSandbox:
    """The emulator plus Python-side controls for tests, the demo and benches."""

    def __init__(self, *, consumer_key: str = "ck_sandbox_0123456789abcdef",
                 consumer_secret: str = "cs_sandbox_0123456789abcdef", subscriptions: bool = True):
        self.store = Store(consumer_key=consumer_key, consumer_secret=consumer_secret)
        self.store.reset(subscriptions=subscriptions)
        self._subscriptions = subscriptions
        self.app = create_app(self.store)
        self._running: _Running | None = None
        self.ca_bundle: str | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, *, port: int = 0, tls: bool = False) -> str:
        context = None
        if tls:
            context, self.ca_bundle = self_signed()
        server = make_server("127.0.0.1", port, self.app, threaded=True,
                             request_handler=QuietRequestHandler, ssl_context=context)
        thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"wc-sandbox:{server.port}")
        thread.start()
        self._running = _Running(server, thread, f"{'https' if tls else 'http'}://127.0.0.1:{server.port}")
        return self.url

    def stop(self) -> None:
        if self._running is not None:
            self._running.server.shutdown()
            self._running.server.server_close()
            self._running.thread.join(timeout=5)
            self._running = None

    @property
    def url(self) -> str:
        if self._running is None:
            raise RuntimeError("the sandbox is not running; call start()")
        return self._running.url

    def credentials(self) -> dict[str, str]:
        return {"consumer_key": self.store.consumer_key, "consumer_secret": self.store.consumer_secret}

    def gateway_config(self, connection_id: str = "woocommerce-sandbox", *,
                       webhook_secrets: tuple[str, ...] = ("wc-sandbox-secret",), settings: dict | None = None,
                       **overrides) -> GatewayConfig:
        """A GatewayConfig pointing the adapter here, with the extension detected as it is."""
        detected = {"subscriptions_extension": self.store.subscriptions_extension}
        if self.ca_bundle:
            detected["ca_bundle"] = self.ca_bundle
        fields = {"connection_id": connection_id, "credentials": self.credentials(), "api_base": self.url,
                  "webhook_secrets": webhook_secrets, "settings": {**detected, **(settings or {})},
                  "timeout_seconds": 5.0, **overrides}
        return GatewayConfig(**fields)

    def reset(self, *, subscriptions: bool | None = None) -> None:
        with self.store.lock:
            self.store.reset(subscriptions=self._subscriptions if subscriptions is None else subscriptions)

    # --- faults ---------------------------------------------------------------------------------
    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str | None = None,
                  method: str | None = None, after_commit: bool = False) -> None:
        """Fail the next matching API requests; after_commit applies the change first."""
        if count < 1 or not 400 <= status <= 599:
            raise ValueError("count must be >= 1 and status a 4xx/5xx code")
        with self.store.lock:
            self.store.failures.append({"count": count, "status": status, "path_prefix": path_prefix,
                                        "method": method, "after_commit": after_commit})

    # --- seeding (the same rules as the HTTP API) -----------------------------------------------
    def _run(self, action):
        with self.store.lock:
            result = action(self.store)
            pending, self.store.outbox = self.store.outbox, []
        deliver_pending(self.store, pending)
        return result

    def add_customer(self, email: str, *, first_name: str = "Ada", last_name: str = "Lovelace") -> dict:
        return self._run(lambda s: render.customer(s, s.create_customer(
            {"email": email, "first_name": first_name, "last_name": last_name})))

    def add_order(self, *, total: str, currency: str = "USD", customer_id: int = 0, email: str | None = None,
                  status: str = "processing", payment_method: str = "stripe", name: str = "Widget") -> dict:
        """A paid (processing) order by default; customer_id 0 with an email is a guest checkout."""
        billing = {"email": email, "first_name": "Guest", "last_name": "Buyer"} if email else {}
        return self._run(lambda s: render.order(s, s.create_order({
            "customer_id": customer_id, "billing": billing, "total": total, "currency": currency,
            "status": status, "payment_method": payment_method,
            "line_items": [{"name": name, "quantity": 1, "total": total}]})))

    def add_refund(self, order_id: int, amount: str, *, reason: str = "", api_refund: bool = True) -> dict:
        return self._run(lambda s: render.refund(s, s.create_refund(
            order_id, {"amount": amount, "reason": reason, "api_refund": api_refund})))

    def add_subscription(self, customer_id: int, *, total: str = "49.00", currency: str = "USD") -> dict:
        return self._run(lambda s: render.subscription(s, s.create_subscription(
            {"customer_id": customer_id, "total": total, "currency": currency})))

    def set_status(self, kind: str, object_id: int, status: str) -> None:
        """Force a raw status (also one WooCommerce plugins add and the mapper does not know)."""
        with self.store.lock:
            getattr(self.store, kind)[int(object_id)]["status"] = status

    # --- webhooks -------------------------------------------------------------------------------
    def add_webhook_endpoint(self, url: str, secret: str = "wc-sandbox-secret",
                             topics: tuple[str, ...] = ("order.*", "customer.*", "subscription.*",
                                                        "action.woocommerce_order_refunded")) -> int:
        """Register a webhook as the shop admin does; WooCommerce pings it once (unsigned)."""
        with self.store.lock:
            hook = {"id": len(self.store.webhooks) + 1, "delivery_url": url, "secret": secret,
                    "topics": topics}
            self.store.webhooks.append(hook)
        headers, body = ping(hook)
        post(self.store, url, headers, body, "ping")
        return hook["id"]

    def signed_delivery(self, topic: str, object_id: int, secret: str) -> tuple[dict, bytes]:
        """What the shop would POST for `topic` about an object now (not sent)."""
        resource = topic.partition(".")[0]
        with self.store.lock:
            if resource == "action":
                obj = {"action": topic.partition(".")[2], "arg": int(object_id)}
            else:
                obj = {"order": self.store.orders, "customer": self.store.customers,
                       "subscription": self.store.subscriptions}[resource][int(object_id)]
            return delivery(self.store, {"id": 1, "secret": secret}, topic, obj)

    @property
    def deliveries(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.deliveries)

    # --- inspection -----------------------------------------------------------------------------
    def objects(self, kind: str) -> list[dict]:
        """Every object of `kind` (customers, orders, refunds, subscriptions) as the API renders it."""
        renderer = render.RENDERERS[kind]
        with self.store.lock:
            return [dict(renderer(self.store, o), **({"order_id": o["order_id"]} if kind == "refunds" else {}))
                    for o in getattr(self.store, kind).values()]

    @property
    def emails(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.emails)

    @property
    def requests(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.requests)

"""A stateful loopback emulator of the PayPal REST API subset ChargeDesk uses.

It proves the adapter speaks the documented contract through the real `paypal-server-sdk` (and
`requests` for Invoicing); it does not prove live PayPal behaves the same. Shapes follow
paypal/paypal-rest-api-specifications (checkout_orders_v2, payments_payment_v2,
billing_subscriptions_v1, invoicing_v2, reporting transactions). Rules enforced: OAuth2 client
credentials then Bearer tokens; capture once (partial allowed, final); void only an uncaptured
authorization; refund <= captured - refunded in the capture's currency and exponent;
PayPal-Request-Id replays the first answer (another body with the same id is a 422); subscription
cancel needs a reason and a live subscription; invoices are sent only from DRAFT; transaction search
needs start_date/end_date at most 31 days apart; errors are {name, message, debug_id, details}.
Webhook deliveries are signed SHA256withRSA with a test certificate served at PAYPAL-CERT-URL.
Not emulated: buyer approval pages (approve() stands in), disputes, payouts, reauthorize, invoice
payments by the buyer, transaction search's ~3 hour reporting lag.

    sb = PayPalSandbox(); sb.start()
    config = sb.gateway_config()
    capture_id = sb.add_capture("ada@example.com", "20.00")
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import requests
from werkzeug.serving import make_server

from backend.integrations.gateways.contract import GatewayConfig
from backend.integrations.gateways.sandbox_server import QuietRequestHandler

from . import render
from .app import create_app
from .signing import CERT_PATH, event_body, make_keys, sign
from .store import PayPalError, Store

__all__ = ["PayPalSandbox", "PayPalError"]
RENDER = {"capture": ("captures", render.capture), "authorization": ("authorizations", render.authorization),
          "refund": ("refunds", render.refund), "subscription": ("subscriptions", render.subscription),
          "invoices": ("invoices", render.invoice)}


@dataclass
class _Running:
    server: object
    thread: threading.Thread
    url: str


class PayPalSandbox:
    """The emulator plus Python-side controls for tests, the demo and benches."""

    def __init__(self, *, client_id: str = "sandbox-client-id-0123456789",
                 client_secret: str = "sandbox-client-secret-0123456789", webhook_id: str = "WH-SANDBOX-1"):
        self.store = Store(client_id, client_secret)
        self.keys = make_keys()
        self.webhook_id = webhook_id
        self.app = create_app(self.store, self._deliver)
        self.app.extensions["paypal_sandbox_keys"] = self.keys
        self._running: _Running | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, *, port: int = 0) -> str:
        server = make_server("127.0.0.1", port, self.app, threaded=True, request_handler=QuietRequestHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"paypal-sandbox:{server.port}")
        thread.start()
        self._running = _Running(server, thread, f"http://127.0.0.1:{server.port}")
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

    @property
    def cert_url(self) -> str:
        return self.url + CERT_PATH

    def credentials(self) -> dict[str, str]:
        return {"client_id": self.store.client_id, "client_secret": self.store.client_secret,
                "webhook_id": self.webhook_id}

    def gateway_config(self, connection_id: str = "paypal-sandbox", **overrides) -> GatewayConfig:
        fields = {"connection_id": connection_id, "credentials": self.credentials(), "api_base": self.url,
                  "timeout_seconds": 5.0, **overrides}
        return GatewayConfig(**fields)

    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()

    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str | None = None,
                  method: str | None = None, after_commit: bool = False) -> None:
        """Fail the next matching API requests; after_commit applies (and remembers) the change first."""
        if count < 1 or not 400 <= status <= 599:
            raise ValueError("count must be >= 1 and status a 4xx/5xx code")
        with self.store.lock:
            self.store.failures.append({"count": count, "status": status, "path_prefix": path_prefix,
                                        "method": method, "after_commit": after_commit})

    # --- seeding (the store's rules, as the buyer and the API would) ----------------------------
    def _run(self, action):
        with self.store.lock:
            result = action(self.store)
            pending, self.store.outbox = self.store.outbox, []
        self._deliver(pending)
        return result

    def add_capture(self, email: str, value: str, currency: str = "USD", *,
                    name: tuple[str, str] = ("Pat", "Payer")) -> str:
        """An order paid by `email` and captured at once; returns the capture id."""
        def act(s: Store):
            order = s.create_order("CAPTURE", {"currency_code": currency, "value": value}, payer_email=email,
                                   payer_name=name)
            return s.capture_order(order["id"])["captures"][0]
        return self._run(act)

    def add_authorization(self, email: str, value: str, currency: str = "USD", *,
                          name: tuple[str, str] = ("Pat", "Payer")) -> str:
        def act(s: Store):
            order = s.create_order("AUTHORIZE", {"currency_code": currency, "value": value}, payer_email=email,
                                   payer_name=name)
            return s.authorize_order(order["id"])["authorizations"][0]
        return self._run(act)

    def add_refund(self, capture_id: str, value: str) -> str:
        return self._run(lambda s: s.refund_capture(
            capture_id, {"amount": {"currency_code": s.capture(capture_id)["currency"], "value": value}})["id"])

    def add_subscription(self, email: str, *, plan: str = "Pro", value: str = "49.00", currency: str = "USD",
                         name: tuple[str, str] = ("Sam", "Subscriber")) -> str:
        def act(s: Store):
            plan_id = next((p["id"] for p in s.plans.values() if (p["name"], p["currency"]) == (plan, currency)),
                           None) or s.create_plan(plan, value, currency)["id"]
            return s.create_subscription(plan_id, email, name)["id"]
        return self._run(act)

    def add_invoice(self, email: str, items: tuple[tuple[str, str], ...] = (("Consulting", "15.00"),),
                    currency: str = "USD", name: tuple[str, str] | None = None) -> str:
        """A DRAFT invoice to `email` (as made in the PayPal dashboard)."""
        return self._run(lambda s: s.create_invoice({
            "detail": {"currency_code": currency},
            "primary_recipients": [{"billing_info": {"email_address": email, **(
                {"name": {"given_name": name[0], "surname": name[1]}} if name else {})}}],
            "items": [{"name": n, "quantity": "1", "unit_amount": {"currency_code": currency, "value": v}}
                      for n, v in items]})["id"])

    def set_status(self, table: str, object_id: str, status: str) -> None:
        """Force a raw status (also one the mapper does not know)."""
        with self.store.lock:
            getattr(self.store, table)[object_id]["status"] = status

    # --- webhooks -------------------------------------------------------------------------------
    def add_webhook_endpoint(self, url: str) -> str:
        """Subscribe `url` to every event (the dashboard's webhook); returns the webhook id."""
        with self.store.lock:
            self.store.webhooks.append({"id": self.webhook_id, "url": url})
        return self.webhook_id

    def signed_delivery(self, event_type: str, resource_type: str, object_id: str, *,
                        transmission_time: str | None = None, webhook_id: str | None = None) -> tuple[dict, bytes]:
        """What PayPal would POST about an object now (not sent)."""
        table, renderer = RENDER[resource_type]
        with self.store.lock:
            resource = renderer(self.store, getattr(self.store, table)[object_id], self.url)
        body = event_body(event_type, resource_type, resource)
        return sign(self.keys, body=body, webhook_id=webhook_id or self.webhook_id, cert_url=self.cert_url,
                    transmission_time=transmission_time), body

    def _deliver(self, pending: list) -> None:
        if not pending or self._running is None:
            return
        with self.store.lock:
            hooks = list(self.store.webhooks)
        for event_type, resource_type, ref in pending:
            for hook in hooks:
                headers, body = self.signed_delivery(event_type, resource_type, ref["id"], webhook_id=hook["id"])
                try:
                    status = requests.post(hook["url"], data=body, headers=headers, timeout=10).status_code
                except requests.RequestException as exc:
                    status = f"error: {type(exc).__name__}"
                with self.store.lock:
                    self.store.deliveries.append({"event_type": event_type, "id": json.loads(body)["id"],
                                                  "status": status})

    @property
    def deliveries(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.deliveries)

    # --- inspection -----------------------------------------------------------------------------
    def objects(self, table: str) -> list[dict]:
        """Raw store rows of `table` (captures, authorizations, refunds, subscriptions, invoices ...)."""
        with self.store.lock:
            return [dict(o) for o in getattr(self.store, table).values()]

    @property
    def emails(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.emails)

    @property
    def requests(self) -> list[dict]:
        with self.store.lock:
            return list(self.store.requests)

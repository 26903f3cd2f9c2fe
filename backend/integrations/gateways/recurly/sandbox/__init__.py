"""A stateful loopback emulator of the Recurly v2021-02-25 JSON API subset ChargeDesk uses.

It proves the adapter speaks the documented contract through the real `recurly` SDK; it does
not prove the live service behaves the same. Shapes follow recurly/recurly-client-python
openapi/api.yaml. Not emulated: add-ons, usage, gift cards, dunning schedules, coupon
durations (every coupon applies "forever"), multi-cycle terms, authorize/capture purchases.

    sb = RecurlySandbox(api_key="sandbox-key")
    sb.start()                      # serve_in_thread on 127.0.0.1, port 0 -> sb.url
    config = GatewayConfig(..., credentials={"api_key": "sandbox-key"}, api_base=sb.url)
    sb.fail_next(1, status=500, path_prefix="/invoices", after_commit=True)
    sb.stop()
"""
from __future__ import annotations

from decimal import Decimal

from backend.integrations.gateways.contract import GatewayConfig
from backend.integrations.gateways.sandbox_server import RunningServer, serve_in_thread

from . import catalog, render
from .accounts import create_account
from .app import create_app
from .billing import charge_account
from .controls import add_failure, advance_clock
from .invoices import create_purchase
from .notify import deliver, signature_header
from .store import KINDS, Store

__all__ = ["RecurlySandbox", "signature_header"]


class RecurlySandbox:
    """The emulator plus Python-side controls for tests and the demo."""

    def __init__(self, *, api_key: str = "sandbox-api-key", seed: bool = True):
        self.store = Store(api_keys=(api_key,))
        self.api_key = api_key
        self._seed = seed
        self.app = create_app(self.store)
        self._server: RunningServer | None = None
        self.reset()

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> str:
        self._server = serve_in_thread(self.app)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start()")
        return self._server.url

    def gateway_config(self, *, webhook_secrets: tuple[str, ...] = ("recurly-sandbox-secret",),
                       **overrides) -> GatewayConfig:
        """A GatewayConfig that points the Recurly adapter at this running sandbox."""
        fields = {"connection_id": "recurly-sandbox", "credentials": {"api_key": self.api_key},
                  "api_base": self.url, "webhook_secrets": webhook_secrets,
                  "timeout_seconds": 5.0, **overrides}
        return GatewayConfig(**fields)

    def reset(self) -> None:
        """Back to an empty site (plus the default catalog when seeded)."""
        with self.store.lock:
            self.store.reset()
            if self._seed:
                catalog.seed_catalog(self.store)

    # --- fault injection and time ---------------------------------------------------------------
    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str | None = None,
                  after_commit: bool = False, method: str | None = None) -> None:
        with self.store.lock:
            add_failure(self.store, count=count, status=status, path_prefix=path_prefix,
                        after_commit=after_commit, method=method)

    def delay_next(self, seconds: float, *, count: int = 1, path_prefix: str | None = None):
        """Answer the next matching requests late; the change is still applied (a timeout
        from the client's side that nonetheless took effect)."""
        with self.store.lock:
            self.store.delays.append({"count": count, "seconds": seconds,
                                      "path_prefix": path_prefix})

    def advance_clock(self, *, days: float = 0, seconds: float = 0) -> None:
        self._run(lambda: advance_clock(self.store, days * 86400 + seconds))

    # --- webhooks -------------------------------------------------------------------------------
    def add_webhook_endpoint(self, url: str, secret: str) -> None:
        with self.store.lock:
            self.store.webhook_endpoints.append((url, secret))

    @property
    def deliveries(self) -> list[dict]:
        return list(self.store.deliveries)

    # --- inspection -----------------------------------------------------------------------------
    def objects(self, kind: str) -> list[dict]:
        """Every object of `kind` (accounts, transactions, invoices …) as the API renders it."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        with self.store.lock:
            return [render.RENDERERS[kind](self.store, o)
                    for o in sorted(self.store.objects[kind].values(), key=lambda o: o["_seq"])]

    @property
    def requests(self) -> list[dict]:
        """Every API request received (method, path, query, key headers, body, status)."""
        return list(self.store.requests)

    # --- seeding (same code paths as the HTTP API) ----------------------------------------------
    def add_plan(self, **fields) -> dict:
        return self._run(lambda: render.plan(self.store, catalog.create_plan(self.store, fields)))

    def add_coupon(self, **fields) -> dict:
        return self._run(
            lambda: render.coupon(self.store, catalog.create_coupon(self.store, fields)))

    def add_account(self, code: str, *, card: str | None = "4111111111111111",
                    **fields) -> dict:
        data = {"code": code, **fields}
        if card:
            data["billing_info"] = {"number": card, **data.get("billing_info", {})}
        return self._run(lambda: render.account(self.store, create_account(self.store, data)))

    def add_purchase(self, account_code: str, amount: str, currency: str, *,
                     description: str = "One-time charge", quantity: int = 1) -> dict:
        """A paid charge invoice with one purchase transaction; returns the rendered invoice."""
        data = {"currency": currency, "account": {"code": account_code}, "line_items": [
            {"unit_amount": Decimal(amount), "quantity": quantity, "description": description}]}
        return self._run(lambda: render.invoice(self.store, create_purchase(self.store, data)))

    def add_past_due_invoice(self, account_code: str, amount: str, currency: str) -> dict:
        """An automatic invoice whose payment was declined (for collect_invoice)."""
        def make():
            account = self.store.get("accounts", f"code-{account_code}")
            card = account["billing_info"]["_card_number"]
            self.store.declined_cards.add(card)
            try:
                invoice = charge_account(self.store, account, currency, [
                    {"unit_amount": Decimal(amount), "description": "Overdue charge"}],
                    raise_on_decline=False)
            finally:
                self.store.declined_cards.discard(card)
            return render.invoice(self.store, invoice)
        return self._run(make)

    def _run(self, action):
        """Run a seeding action under the lock, then deliver the webhooks it queued."""
        with self.store.lock:
            result = action()
            pending, self.store.outbox = self.store.outbox, []
        deliver(self.store, pending)
        return result

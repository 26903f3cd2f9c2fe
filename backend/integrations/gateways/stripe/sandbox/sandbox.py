"""StripeSandbox: the public face of the emulator (state + WSGI app + test controls)."""
from __future__ import annotations

from typing import Iterable

from backend.integrations.gateways.sandbox_server import RunningServer, serve_in_thread

from . import cards
from .app import SandboxApp
from .errors import not_found
from .events_api import add_endpoint
from .state import Call, FailureRule, SandboxState
from .templates import CHARGE, DEFAULTS
from .views import render


class StripeSandbox:
    """A stateful, thread-safe loopback Stripe API for tests, demos and benchmarks."""

    def __init__(self) -> None:
        self.state = SandboxState()
        self.app = SandboxApp(self.state, self)
        self._server: RunningServer | None = None

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> str:
        """Serve on 127.0.0.1 (free port) in a background thread; returns the base URL."""
        if self._server is None:
            self._server = serve_in_thread(self.app)
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str | None:
        return self._server.url if self._server else None

    def __enter__(self) -> "StripeSandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every object, idempotency key, armed failure, endpoint and delivery."""
        self.state.reset()

    # --- controls ---------------------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 500, path_prefix: str = "",
                  after_commit: bool = False) -> None:
        """Make the next `count` API requests under `path_prefix` fail with `status`.

        after_commit=True: the operation still happens (and its idempotency record is kept), only
        the response is lost, as when a connection drops or a worker dies mid-call.
        """
        with self.state.lock:
            self.state.failures.append(FailureRule(count, status, path_prefix or "", after_commit))

    def add_webhook_endpoint(self, url: str, secret: str | None = None,
                             events: Iterable[str] = ("*",)) -> str:
        """Register an endpoint for signed deliveries; returns its `whsec_...` secret."""
        with self.state.lock:
            endpoint = add_endpoint(self._call(), url, list(events), secret=secret)
            return self.state.secrets[endpoint["id"]]

    def flush_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted."""
        return self.state.webhooks.flush(timeout)

    def open_dispute(self, charge_id: str, *, reason: str = "fraudulent", amount: int | None = None,
                     inquiry: bool = False) -> dict:
        """Have the cardholder's bank dispute a charge (emits charge.dispute.created)."""
        from .disputes import open_dispute
        with self.state.lock:
            return render(self.state.store, open_dispute(self._call(), charge_id, reason=reason,
                                                         amount=amount, inquiry=inquiry))

    def seed_charges(self, customer_id: str | None, count: int, *, amount: int = 1000,
                     currency: str = "usd", events: bool = False) -> list[str]:
        """Bulk-insert `count` succeeded card charges fast (benchmarks); returns their ids."""
        with self.state.lock:
            call = self._call()
            if customer_id is not None and call.store.get("customer", customer_id) is None:
                raise not_found("customer", customer_id, param="customer")
            pm = cards.create_card_pm(call, "4242424242424242")
            template = {**CHARGE, "object": "charge", "amount": amount, "amount_captured": amount,
                        "billing_details": pm["billing_details"], "captured": True, "currency": currency.lower(),
                        "customer": customer_id, "payment_method": pm["id"],
                        "payment_method_details": cards.charge_details(pm, amount), "metadata": {}}
            kind, created, new_id = call.store.kind("charge"), call.now(), call.store.new_id
            ids = []
            for _ in range(count):
                charge = {"id": new_id("ch_"), "created": created, **template}
                kind.insert(charge)
                ids.append(charge["id"])
                if events:
                    call.emit("charge.succeeded", charge)
            return ids

    # --- inspection -------------------------------------------------------------------------
    def objects(self, kind: str) -> list[dict]:
        """Every live object of `kind` ("charge" or "charges"), oldest first, fully rendered."""
        if kind in ("invoice_send", "invoice_sends"):
            return self.invoice_sends
        if kind not in DEFAULTS and kind.endswith("s"):
            kind = kind[:-1]
        with self.state.lock:
            return [render(self.state.store, obj) for obj in self.state.store.all(kind)]

    def get(self, object_id: str) -> dict | None:
        """One object by id (any kind with a known prefix), rendered; None if absent."""
        from .views import resolve
        with self.state.lock:
            return resolve(self.state.store, "", object_id)

    @property
    def request_log(self) -> list[tuple[str, str, str | None]]:
        with self.state.lock:
            return list(self.state.request_log)

    @property
    def deliveries(self) -> list[tuple[str, int]]:
        return list(self.state.webhooks.deliveries)

    @property
    def invoice_sends(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.invoice_sends)

    def _call(self) -> Call:
        return Call(self.state, {}, method="SANDBOX", path="/_sandbox")

"""BraintreeSandbox: start/stop the loopback emulator and drive it from tests and the demo."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ...contract import GatewayConfig
from ...sandbox_server import RunningServer, serve_in_thread
from .app import SandboxApp, public_objects
from .notifications import Notification
from .store import FailureRule, Store


class BraintreeSandbox:
    """A stateful fake of the Braintree XML API subset ChargeDesk uses, on 127.0.0.1."""

    def __init__(self, *, merchant_id: str = "chargedesk_merchant",
                 public_key: str = "sandbox_public", private_key: str = "sandbox_private"):
        self.merchant_id, self.public_key, self.private_key = merchant_id, public_key, private_key
        self.store = Store()
        self.app = SandboxApp(self.store, merchant_id=merchant_id, public_key=public_key,
                              private_key=private_key)
        self._server: RunningServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        """Serve on a loopback port (0 = any free one); returns the base URL."""
        if self._server is None:
            self._server = serve_in_thread(self.app, port=port)
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return self._server.url

    def credentials(self) -> dict[str, str]:
        return {"merchant_id": self.merchant_id, "public_key": self.public_key,
                "private_key": self.private_key}

    def gateway_config(self, connection_id: str = "braintree-sandbox", **overrides: Any
                       ) -> GatewayConfig:
        """A GatewayConfig that points an adapter at this sandbox."""
        values = {"connection_id": connection_id, "credentials": self.credentials(),
                  "api_base": self.url, "timeout_seconds": 5.0}
        return GatewayConfig(**{**values, **overrides})

    # --- controls ------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()

    def fail_next(self, count: int = 1, status: int = 500, path_prefix: str = "/",
                  after_commit: bool = False) -> None:
        """Fail the next `count` API calls under `path_prefix` (relative to /merchants/{id}).

        after_commit=True applies the change first and then fails the response: the caller
        cannot tell whether it happened, which is what reconcile() is for.
        """
        with self.store.lock:
            self.store.failures.append(FailureRule(count, status, path_prefix, after_commit))

    def settle(self, transaction_id: str) -> dict:
        return self.app.settle(transaction_id, "settled")

    def decline_settlement(self, transaction_id: str) -> dict:
        return self.app.settle(transaction_id, "settlement_declined")

    def open_dispute(self, transaction_id: str, **options: Any) -> dict:
        """A chargeback on a transaction (amount: decimal string; reason; status)."""
        return self.app.open_dispute(transaction_id, **options)

    def add_webhook_endpoint(self, url: str) -> None:
        with self.store.lock:
            self.store.webhook_urls.append(url)

    def notify(self, kind: str, object_kind: str, object_id: str) -> Notification:
        """Send a signed notification about a stored object to every registered endpoint."""
        return self.app.emit(kind, object_kind, object_id)

    def advance_clock(self, seconds: float) -> dt.datetime:
        """Move the sandbox's clock forward (created_at of later objects moves with it)."""
        with self.store.lock:
            self.store.clock_offset += dt.timedelta(seconds=seconds)
            return self.store.now()

    def freeze_clock(self) -> dt.datetime:
        """Stop the clock (advance_clock still moves it): many objects in one second."""
        with self.store.lock:
            self.store.frozen_at = self.store.now() - self.store.clock_offset
            return self.store.now()

    def set_status(self, kind: str, object_id: str, status: str) -> None:
        """Force a status the API cannot reach from here (e.g. one Braintree adds later)."""
        with self.store.lock:
            self.store.objects[kind][object_id]["status"] = status

    def objects(self, kind: str) -> list[dict[str, Any]]:
        return public_objects(self.store, kind)

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return list(self.store.deliveries)

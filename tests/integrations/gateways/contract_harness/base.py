"""What the contract suite needs from each gateway: a running sandbox and ways to arrange state in it.

A harness arranges objects *at the gateway* (through the sandbox's own controls or the package's
client.py, never through the adapter under test) and inspects the sandbox afterwards, so a test
can check that an adapter call really happened at the gateway, exactly once, for the right amount.
Everything that differs between vendors lives in the harness subclasses, not in the tests.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

from backend.integrations.gateways import GatewayAdapter, GatewayConfig, build_adapter
from backend.integrations.gateways.records import ObjectKind


@dataclass(frozen=True)
class SignedWebhook:
    """A delivery as the vendor would POST it: headers and the raw body."""

    headers: dict[str, str]
    body: bytes


class GatewayHarness:
    """One gateway's sandbox plus the arrange/inspect vocabulary of the contract suite."""

    name: ClassVar[str]
    tax_id: ClassVar[tuple[str, str]] = ("eu_vat", "DE123456789")  # (our type, value)
    no_stale_webhook_reason: ClassVar[str | None] = None  # set when the scheme signs no timestamp

    def __init__(self) -> None:
        self._serial = itertools.count(1)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Empty the sandbox between tests (catalog seeds come back)."""
        raise NotImplementedError

    def config(self, **overrides) -> GatewayConfig:
        raise NotImplementedError

    def adapter(self) -> GatewayAdapter:
        """A fresh adapter, built through the registry as the product builds it."""
        return build_adapter(self.name, self.config())

    def unique(self, stem: str) -> str:
        return f"{stem}{next(self._serial)}"

    # --- arranging state at the gateway ---------------------------------------------------------
    def customer(self, email: str | None = None) -> str:
        """A customer with a saved card; returns its external id."""
        raise NotImplementedError

    def settled_charge(self, customer_id: str, amount: int, currency: str) -> str:
        """A captured payment that can be refunded now (settled where the vendor settles)."""
        raise NotImplementedError

    def authorization(self, customer_id: str, amount: int, currency: str) -> str:
        """An uncaptured authorization (only for gateways declaring capture or void)."""
        raise NotImplementedError(f"{self.name} has no authorizations")

    def price(self) -> str:
        """The price/plan id create_subscription takes (USD, monthly)."""
        raise NotImplementedError

    def subscription(self, customer_id: str) -> str:
        """A live subscription of the customer, made at the gateway."""
        raise NotImplementedError

    def coupon(self) -> str:
        """A coupon code (discount id) the gateway knows."""
        raise NotImplementedError

    def sendable_invoice(self, customer_id: str) -> str:
        """An invoice that send_invoice can act on."""
        raise NotImplementedError(f"{self.name} has no invoices")

    def signed_webhook(self, charge_id: str) -> SignedWebhook:
        """A delivery about the charge, signed the vendor's way with the configured secret."""
        raise NotImplementedError

    def tampered_webhook(self, charge_id: str) -> SignedWebhook:
        """The same delivery with its signed content changed after signing."""
        raise NotImplementedError

    def stale_webhook(self, charge_id: str) -> SignedWebhook:
        """A correctly signed delivery whose signed timestamp is an hour old."""
        raise NotImplementedError

    def force_unlisted_status(self, kind: ObjectKind, external_id: str) -> str:
        """Give the object a raw status the mapper's table lacks; returns that raw status."""
        raise NotImplementedError

    # --- faults ---------------------------------------------------------------------------------
    def fail_next_refund(self, charge_id: str, *, status: int, after_commit: bool) -> None:
        """Fail the refund request itself (not the reads around it) with an HTTP status."""
        raise NotImplementedError

    # --- inspecting the gateway -----------------------------------------------------------------
    def refund_amounts(self, charge_id: str) -> list[int]:
        """Every refund the sandbox holds for the charge, in minor units, oldest first."""
        raise NotImplementedError

    def captured_amount(self, charge_id: str) -> int:
        """How much of the payment the sandbox holds as captured, in minor units."""
        raise NotImplementedError

    def subscription_ids(self) -> list[str]:
        raise NotImplementedError

    def invoice_was_sent(self, invoice_id: str) -> bool:
        """Whether the gateway acted on send_invoice (emailed it, or collected it)."""
        raise NotImplementedError

    def customer_has_coupon(self, customer_id: str, code: str) -> bool:
        raise NotImplementedError

    def tax_id_values(self, customer_id: str) -> list[str]:
        raise NotImplementedError

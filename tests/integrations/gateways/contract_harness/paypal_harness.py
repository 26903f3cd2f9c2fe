"""PayPal: the loopback PayPalSandbox, arranged through its Python controls (the buyer's approval
and the dashboard happen there), which apply the same rules as its REST API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.integrations.gateways import GatewayConfig
from backend.integrations.gateways.paypal.sandbox import PayPalSandbox
from backend.integrations.gateways.records import ObjectKind
from backend.money import to_decimal_string, to_minor

from .base import GatewayHarness, SignedWebhook

# Statuses PayPal documents elsewhere or may add, which the mapper's tables lack.
UNLISTED = {ObjectKind.CHARGE: ("captures", "UNDER_REVIEW"), ObjectKind.SUBSCRIPTION: ("subscriptions", "PAUSED_BY_RISK")}


class PayPalHarness(GatewayHarness):
    name = "paypal"

    def start(self) -> None:
        self.sandbox = PayPalSandbox()
        self.sandbox.start()

    def stop(self) -> None:
        self.sandbox.stop()

    def reset(self) -> None:
        self.sandbox.reset()

    def config(self, **overrides) -> GatewayConfig:
        return self.sandbox.gateway_config("contract-paypal", **overrides)

    # --- arranging ------------------------------------------------------------------------------
    def customer(self, email: str | None = None) -> str:
        """PayPal has no customer object: a payer becomes known to the merchant through an invoice
        addressed to them (a draft made in the dashboard); the id is the email."""
        address = email or f"{self.unique('payer')}@example.com"
        self.sandbox.add_invoice(address)
        return address

    def settled_charge(self, customer_id: str, amount: int, currency: str) -> str:
        return self.sandbox.add_capture(customer_id, to_decimal_string(amount, currency), currency)

    def authorization(self, customer_id: str, amount: int, currency: str) -> str:
        return self.sandbox.add_authorization(customer_id, to_decimal_string(amount, currency), currency)

    def subscription(self, customer_id: str) -> str:
        return self.sandbox.add_subscription(customer_id)

    def sendable_invoice(self, customer_id: str) -> str:
        return self.sandbox.add_invoice(customer_id, (("Setup", "15.00"),))

    # --- webhooks -------------------------------------------------------------------------------
    def signed_webhook(self, charge_id: str) -> SignedWebhook:
        headers, body = self.sandbox.signed_delivery("PAYMENT.CAPTURE.COMPLETED", "capture", charge_id)
        return SignedWebhook(headers, body)

    def tampered_webhook(self, charge_id: str) -> SignedWebhook:
        valid = self.signed_webhook(charge_id)
        return SignedWebhook(valid.headers, valid.body.replace(b'"COMPLETED"', b'"REFUNDED"'))

    def stale_webhook(self, charge_id: str) -> SignedWebhook:
        hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers, body = self.sandbox.signed_delivery("PAYMENT.CAPTURE.COMPLETED", "capture", charge_id,
                                                     transmission_time=hour_ago)
        return SignedWebhook(headers, body)

    def force_unlisted_status(self, kind: ObjectKind, external_id: str) -> str:
        table, raw = UNLISTED[kind]
        self.sandbox.set_status(table, external_id, raw)
        return raw

    # --- faults and inspection ------------------------------------------------------------------
    def fail_next_refund(self, charge_id: str, *, status: int, after_commit: bool) -> None:
        self.sandbox.fail_next(1, status=status, path_prefix=f"/v2/payments/captures/{charge_id}/refund",
                               method="POST", after_commit=after_commit)

    def refund_amounts(self, charge_id: str) -> list[int]:
        captures = {c["id"] for c in self.sandbox.objects("captures")
                    if charge_id in (c["id"], c["authorization_id"])}
        return [to_minor(str(r["value"]), r["currency"]) for r in self.sandbox.objects("refunds")
                if r["capture_id"] in captures]

    def captured_amount(self, charge_id: str) -> int:
        return sum(to_minor(str(c["value"]), c["currency"]) for c in self.sandbox.objects("captures")
                   if charge_id in (c["id"], c["authorization_id"]))

    def subscription_ids(self) -> list[str]:
        return [s["id"] for s in self.sandbox.objects("subscriptions")]

    def invoice_was_sent(self, invoice_id: str) -> bool:
        return any(e["invoice_id"] == invoice_id for e in self.sandbox.emails)

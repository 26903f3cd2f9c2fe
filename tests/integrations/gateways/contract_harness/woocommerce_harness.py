"""WooCommerce: the loopback WooCommerceSandbox (with WooCommerce Subscriptions active), arranged
through its seeding controls, which apply the same rules as its REST API."""
from __future__ import annotations

from backend.integrations.gateways import GatewayConfig
from backend.integrations.gateways.records import ObjectKind
from backend.integrations.gateways.woocommerce.sandbox import WooCommerceSandbox
from backend.money import to_decimal_string, to_minor

from .base import GatewayHarness, SignedWebhook

WEBHOOK_SECRET = "wc-contract-secret"
# Statuses plugins add (WooCommerce Deposits, a dunning plugin) that the mapper's tables lack.
UNLISTED = {ObjectKind.CHARGE: ("orders", "partially-paid"),
            ObjectKind.SUBSCRIPTION: ("subscriptions", "late-payment")}


class WooCommerceHarness(GatewayHarness):
    name = "woocommerce"
    no_stale_webhook_reason = ("WooCommerce signs the raw body only (base64 HMAC-SHA256, no timestamp), "
                               "so a delivery cannot be stale")

    def start(self) -> None:
        self.sandbox = WooCommerceSandbox()
        self.sandbox.start()

    def stop(self) -> None:
        self.sandbox.stop()

    def reset(self) -> None:
        self.sandbox.reset()

    def config(self, **overrides) -> GatewayConfig:
        return self.sandbox.gateway_config("contract-woocommerce", webhook_secrets=(WEBHOOK_SECRET,), **overrides)

    # --- arranging ------------------------------------------------------------------------------
    def customer(self, email: str | None = None) -> str:
        return str(self.sandbox.add_customer(email or f"{self.unique('buyer')}@example.com")["id"])

    def settled_charge(self, customer_id: str, amount: int, currency: str) -> str:
        """A paid order (processing) through a payment plugin that refunds automatically."""
        return str(self.sandbox.add_order(total=to_decimal_string(amount, currency), currency=currency,
                                          customer_id=int(customer_id))["id"])

    def subscription(self, customer_id: str) -> str:
        return str(self.sandbox.add_subscription(int(customer_id))["id"])

    def sendable_invoice(self, customer_id: str) -> str:
        """An unpaid (pending) order: its invoice email carries the pay link."""
        return str(self.sandbox.add_order(total="15.00", customer_id=int(customer_id), status="pending")["id"])

    # --- webhooks -------------------------------------------------------------------------------
    def signed_webhook(self, charge_id: str) -> SignedWebhook:
        headers, body = self.sandbox.signed_delivery("order.updated", int(charge_id), WEBHOOK_SECRET)
        return SignedWebhook(headers, body)

    def tampered_webhook(self, charge_id: str) -> SignedWebhook:
        valid = self.signed_webhook(charge_id)
        return SignedWebhook(valid.headers, valid.body.replace(b'"processing"', b'"completed"'))

    def force_unlisted_status(self, kind: ObjectKind, external_id: str) -> str:
        table, raw = UNLISTED[kind]
        self.sandbox.set_status(table, int(external_id), raw)
        return raw

    # --- faults and inspection ------------------------------------------------------------------
    def fail_next_refund(self, charge_id: str, *, status: int, after_commit: bool) -> None:
        self.sandbox.fail_next(1, status=status, path_prefix=f"/orders/{charge_id}/refunds", method="POST",
                               after_commit=after_commit)

    def refund_amounts(self, charge_id: str) -> list[int]:
        order = next(o for o in self.sandbox.objects("orders") if o["id"] == int(charge_id))
        refunds = sorted((r for r in self.sandbox.objects("refunds") if r["order_id"] == int(charge_id)),
                         key=lambda r: r["id"])
        return [to_minor(r["amount"], order["currency"]) for r in refunds]

    def subscription_ids(self) -> list[str]:
        return [str(s["id"]) for s in self.sandbox.objects("subscriptions")]

    def invoice_was_sent(self, invoice_id: str) -> bool:
        return any(e["order_id"] == int(invoice_id) for e in self.sandbox.emails)

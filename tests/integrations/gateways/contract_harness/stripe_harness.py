"""Stripe: the loopback StripeSandbox, arranged over plain HTTP with the package's StripeSeeder."""
from __future__ import annotations

import json
import time

from backend.integrations.gateways import GatewayConfig
from backend.integrations.gateways.records import ObjectKind
from backend.integrations.gateways.stripe.demo import StripeSeeder
from backend.integrations.gateways.stripe.mappers import stripe_to_minor
from backend.integrations.gateways.stripe.sandbox import StripeSandbox
from backend.integrations.gateways.stripe.sandbox.webhooks import sign

from .base import GatewayHarness, SignedWebhook

API_KEY = "sk_test_chargedesk_contract"
WEBHOOK_SECRET = "whsec_contract_stripe_0123456789"
CARD = "pm_card_visa"
COUPON = "CONTRACT20"
UNLISTED = {ObjectKind.CHARGE: ("charge", "requires_review"),
            ObjectKind.SUBSCRIPTION: ("subscription", "suspended")}


class StripeHarness(GatewayHarness):
    name = "stripe"

    def start(self) -> None:
        self.sandbox = StripeSandbox()
        self.seeder = StripeSeeder(self.sandbox.start(), API_KEY)

    def stop(self) -> None:
        self.sandbox.stop()

    def reset(self) -> None:
        self.sandbox.reset()

    def config(self, **overrides) -> GatewayConfig:
        values = {"connection_id": "contract-stripe", "credentials": {"api_key": API_KEY},
                  "api_base": self.sandbox.url, "webhook_secrets": (WEBHOOK_SECRET,),
                  "timeout_seconds": 10.0}
        return GatewayConfig(**{**values, **overrides})

    # --- arranging ------------------------------------------------------------------------------
    def customer(self, email: str | None = None) -> str:
        email = email or f"{self.unique('buyer')}@example.com"
        return self.seeder.post("/v1/customers", {
            "email": email, "name": email.split("@")[0], "payment_method": CARD,
            "invoice_settings[default_payment_method]": CARD})["id"]

    def settled_charge(self, customer_id: str, amount: int, currency: str) -> str:
        return self.seeder.charge(customer_id, amount, currency.lower(), card=CARD)["id"]

    def authorization(self, customer_id: str, amount: int, currency: str) -> str:
        return self.seeder.charge(customer_id, amount, currency.lower(), capture=False, card=CARD)["id"]

    def price(self) -> str:
        product = self.seeder.post("/v1/products", {"name": "Contract plan"})
        return self.seeder.post("/v1/prices", {
            "product": product["id"], "unit_amount": 4900, "currency": "usd",
            "recurring[interval]": "month", "nickname": "Contract plan"})["id"]

    def subscription(self, customer_id: str) -> str:
        return self.seeder.post("/v1/subscriptions", {
            "customer": customer_id, "items[0][price]": self.price(),
            "default_payment_method": CARD})["id"]

    def coupon(self) -> str:
        if not any(c["id"] == COUPON for c in self.sandbox.objects("coupon")):
            self.seeder.post("/v1/coupons", {"id": COUPON, "percent_off": 20, "duration": "forever"})
        return COUPON

    def sendable_invoice(self, customer_id: str) -> str:
        invoice = self.seeder.post("/v1/invoices", {
            "customer": customer_id, "currency": "usd", "collection_method": "send_invoice",
            "days_until_due": 14})
        self.seeder.post("/v1/invoiceitems", {"customer": customer_id, "invoice": invoice["id"],
                                              "amount": 1500, "currency": "usd"})
        return invoice["id"]

    # --- webhooks -------------------------------------------------------------------------------
    def _event_body(self, charge_id: str) -> bytes:
        """The sandbox's own charge.succeeded event for the charge, as Stripe would POST it."""
        event = next(e for e in self.sandbox.objects("event")
                     if e["type"] == "charge.succeeded" and e["data"]["object"]["id"] == charge_id)
        return json.dumps(event, indent=2).encode()

    def _delivery(self, body: bytes, timestamp: int | None = None) -> SignedWebhook:
        return SignedWebhook({"Content-Type": "application/json; charset=utf-8",
                              "Stripe-Signature": sign(body, WEBHOOK_SECRET, timestamp)}, body)

    def signed_webhook(self, charge_id: str) -> SignedWebhook:
        return self._delivery(self._event_body(charge_id))

    def tampered_webhook(self, charge_id: str) -> SignedWebhook:
        valid = self.signed_webhook(charge_id)
        event = json.loads(valid.body)
        event["data"]["object"]["amount_refunded"] = event["data"]["object"]["amount"]
        return SignedWebhook(valid.headers, json.dumps(event, indent=2).encode())

    def stale_webhook(self, charge_id: str) -> SignedWebhook:
        return self._delivery(self._event_body(charge_id), int(time.time()) - 3600)

    def force_unlisted_status(self, kind: ObjectKind, external_id: str) -> str:
        stored_kind, raw = UNLISTED[kind]
        with self.sandbox.state.lock:
            store = self.sandbox.state.store
            store.update(store.get(stored_kind, external_id), {"status": raw})
        return raw

    # --- faults and inspection ------------------------------------------------------------------
    def fail_next_refund(self, charge_id: str, *, status: int, after_commit: bool) -> None:
        self.sandbox.fail_next(1, status=status, path_prefix="/v1/refunds", after_commit=after_commit)

    def refund_amounts(self, charge_id: str) -> list[int]:
        return [stripe_to_minor(r["amount"], r["currency"]) for r in self.sandbox.objects("refund")
                if r["charge"] == charge_id]

    def captured_amount(self, charge_id: str) -> int:
        charge = self.sandbox.get(charge_id)
        return stripe_to_minor(charge["amount_captured"], charge["currency"]) if charge["captured"] else 0

    def subscription_ids(self) -> list[str]:
        return [s["id"] for s in self.sandbox.objects("subscription")]

    def invoice_was_sent(self, invoice_id: str) -> bool:
        return any(sent["invoice"] == invoice_id for sent in self.sandbox.invoice_sends)

    def customer_has_coupon(self, customer_id: str, code: str) -> bool:
        """A discount from the coupon on one of the customer's subscriptions (Stripe's way)."""
        discounts = {d["id"]: d for d in self.sandbox.objects("discount")}
        return any(((discounts.get(_id(d)) or {}).get("source") or {}).get("coupon") == code
                   for s in self.sandbox.objects("subscription") if s["customer"] == customer_id
                   for d in s.get("discounts") or ())

    def tax_id_values(self, customer_id: str) -> list[str]:
        return [t["value"] for t in self.sandbox.objects("tax_id") if t["customer"] == customer_id]


def _id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value

"""Recurly: the loopback RecurlySandbox, arranged with its Python seeding controls and client.py."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

from backend.integrations.gateways import GatewayConfig
from backend.integrations.gateways.recurly.client import RecurlyClient
from backend.integrations.gateways.recurly.sandbox import RecurlySandbox, signature_header
from backend.integrations.gateways.records import ObjectKind
from backend.money import to_decimal_string, to_minor

from .base import GatewayHarness, SignedWebhook

API_KEY = "contract-recurly-key"
WEBHOOK_SECRET = "whsec-contract-recurly"
PLAN = "basic"  # seeded catalog: USD/EUR/JPY/KWD prices, so the config names USD as default
COUPON = "SAVE20"
# Both are real Recurly states the mapper deliberately leaves out of its tables.
UNLISTED = {ObjectKind.CHARGE: ("transactions", "status", "chargeback"),
            ObjectKind.SUBSCRIPTION: ("subscriptions", "state", "future")}


class RecurlyHarness(GatewayHarness):
    name = "recurly"

    def start(self) -> None:
        self.sandbox = RecurlySandbox(api_key=API_KEY)
        self.sandbox.start()
        self._codes: dict[str, str] = {}

    def stop(self) -> None:
        self.sandbox.stop()

    def reset(self) -> None:
        self.sandbox.reset()
        self._codes.clear()

    def config(self, **overrides) -> GatewayConfig:
        return self.sandbox.gateway_config(
            webhook_secrets=(WEBHOOK_SECRET,), connection_id="contract-recurly",
            **{"settings": {"default_currency": "USD"}, **overrides})

    # --- arranging ------------------------------------------------------------------------------
    def customer(self, email: str | None = None) -> str:
        code = self.unique("acct")
        account = self.sandbox.add_account(code, email=email or f"{code}@example.com",
                                           first_name="Ada", last_name="Lovelace")
        self._codes[account["id"]] = code
        return account["id"]

    def settled_charge(self, customer_id: str, amount: int, currency: str) -> str:
        invoice = self.sandbox.add_purchase(self._codes[customer_id],
                                            to_decimal_string(amount, currency), currency)
        (payment,) = [t for t in invoice["transactions"] if t["type"] == "purchase"]
        return payment["id"]

    def price(self) -> str:
        return PLAN

    def subscription(self, customer_id: str) -> str:
        body = {"plan_code": PLAN, "currency": "USD", "account": {"code": self._codes[customer_id]}}
        client = RecurlyClient(self.config())
        return client.create_subscription(body, idempotency_key=f"arrange-{uuid.uuid4()}").id

    def coupon(self) -> str:
        return COUPON

    def sendable_invoice(self, customer_id: str) -> str:
        """A past-due automatic invoice: Recurly's "send" is collecting it now."""
        return self.sandbox.add_past_due_invoice(self._codes[customer_id], "15.00", "USD")["id"]

    # --- webhooks -------------------------------------------------------------------------------
    def _notification(self, charge_id: str) -> bytes:
        """A JSON payment notification shaped like the sandbox's own (ids only)."""
        txn = self._transaction(charge_id)
        return json.dumps({
            "id": uuid.uuid4().hex[:12], "object_type": "payment", "event_type": "succeeded",
            "site_id": "contract", "event_time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "uuid": txn["uuid"], "account_code": txn["account"]["code"]}).encode()

    @staticmethod
    def _delivery(body: bytes, timestamp: int | None = None) -> SignedWebhook:
        return SignedWebhook({"Content-Type": "application/json", "recurly-signature":
                              signature_header([WEBHOOK_SECRET], body, timestamp=timestamp)}, body)

    def signed_webhook(self, charge_id: str) -> SignedWebhook:
        return self._delivery(self._notification(charge_id))

    def tampered_webhook(self, charge_id: str) -> SignedWebhook:
        valid = self.signed_webhook(charge_id)
        forged = json.loads(valid.body) | {"event_type": "failed"}
        return SignedWebhook(valid.headers, json.dumps(forged).encode())

    def stale_webhook(self, charge_id: str) -> SignedWebhook:
        return self._delivery(self._notification(charge_id), int((time.time() - 3600) * 1000))

    def force_unlisted_status(self, kind: ObjectKind, external_id: str) -> str:
        table, field, raw = UNLISTED[kind]
        with self.sandbox.store.lock:
            self.sandbox.store.objects[table][external_id][field] = raw
        return raw

    # --- faults and inspection ------------------------------------------------------------------
    def fail_next_refund(self, charge_id: str, *, status: int, after_commit: bool) -> None:
        """POST /invoices/{id}/refund: Recurly refunds a payment through its invoice."""
        self.sandbox.fail_next(1, status=status, path_prefix="/invoices", method="POST",
                               after_commit=after_commit)

    def _transaction(self, transaction_id: str) -> dict:
        return next(t for t in self.sandbox.objects("transactions") if t["id"] == transaction_id)

    def refund_amounts(self, charge_id: str) -> list[int]:
        return [to_minor(t["amount"], t["currency"]) for t in self.sandbox.objects("transactions")
                if t["type"] == "refund" and t["original_transaction_id"] == charge_id]

    def subscription_ids(self) -> list[str]:
        return [s["id"] for s in self.sandbox.objects("subscriptions")]

    def invoice_was_sent(self, invoice_id: str) -> bool:
        invoice = next(i for i in self.sandbox.objects("invoices") if i["id"] == invoice_id)
        return invoice["state"] == "paid"

    def customer_has_coupon(self, customer_id: str, code: str) -> bool:
        return any(r["account"]["id"] == customer_id and r["coupon"]["code"] == code
                   and r["state"] == "active" for r in self.sandbox.objects("redemptions"))

    def tax_id_values(self, customer_id: str) -> list[str]:
        account = next(a for a in self.sandbox.objects("accounts") if a["id"] == customer_id)
        return [account["vat_number"]] if account.get("vat_number") else []

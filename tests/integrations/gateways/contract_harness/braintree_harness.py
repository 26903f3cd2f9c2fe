"""Braintree: the loopback BraintreeSandbox, arranged through the package's BraintreeClient."""
from __future__ import annotations

import base64
from urllib.parse import urlencode

from backend.integrations.gateways import GatewayConfig
from backend.integrations.gateways.braintree.client import BraintreeClient
from backend.integrations.gateways.braintree.demo import MERCHANT_ACCOUNTS
from backend.integrations.gateways.braintree.sandbox import BraintreeSandbox
from backend.integrations.gateways.records import ObjectKind
from backend.money import to_decimal_string, to_minor

from .base import GatewayHarness, SignedWebhook

CARD = "4111111111111111"
PLAN = "pro_monthly"  # seeded by the sandbox, as a merchant sets plans up in the Control Panel
DISCOUNT = "loyal5"
CAPTURED = ("submitted_for_settlement", "settling", "settled", "settlement_pending",
            "settlement_confirmed")
UNLISTED = {ObjectKind.CHARGE: ("transaction", "settlement_held"),
            ObjectKind.SUBSCRIPTION: ("subscription", "Suspended")}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class BraintreeHarness(GatewayHarness):
    name = "braintree"
    no_stale_webhook_reason = ("braintree signs bt_payload only (HMAC-SHA1, no timestamp), so a "
                               "delivery cannot be stale")

    def start(self) -> None:
        self.sandbox = BraintreeSandbox()
        self.sandbox.start(port=0)
        self.client = BraintreeClient(self.sandbox.gateway_config())
        self._tokens: dict[str, str] = {}

    def stop(self) -> None:
        self.sandbox.stop()

    def reset(self) -> None:
        self.sandbox.reset()
        self._tokens.clear()

    def config(self, **overrides) -> GatewayConfig:
        return self.sandbox.gateway_config("contract-braintree", **overrides)

    # --- arranging ------------------------------------------------------------------------------
    def customer(self, email: str | None = None) -> str:
        email = email or f"{self.unique('buyer')}@example.com"
        created = self.client.create_customer(email=email, first_name="Ada", last_name="Lovelace",
                                              card_number=CARD)
        self._tokens[created.id] = created.payment_methods[0].token
        return created.id

    def _sale(self, customer_id: str, amount: int, currency: str, *, submit: bool) -> str:
        return self.client.sale(amount=to_decimal_string(amount, currency),
                                payment_method_token=self._tokens[customer_id],
                                merchant_account_id=MERCHANT_ACCOUNTS[currency],
                                submit_for_settlement=submit).id

    def settled_charge(self, customer_id: str, amount: int, currency: str) -> str:
        sale_id = self._sale(customer_id, amount, currency, submit=True)
        self.sandbox.settle(sale_id)  # Braintree refunds settled sales only
        return sale_id

    def authorization(self, customer_id: str, amount: int, currency: str) -> str:
        return self._sale(customer_id, amount, currency, submit=False)

    def price(self) -> str:
        return PLAN

    def subscription(self, customer_id: str) -> str:
        return self.client.create_subscription(
            subscription_id=self.unique("arranged"), plan_id=PLAN,
            payment_method_token=self._tokens[customer_id], trial_days=None, discount_ids=()).id

    def coupon(self) -> str:
        return DISCOUNT

    # --- webhooks (the sandbox signs them as Braintree does) ------------------------------------
    def signed_webhook(self, charge_id: str) -> SignedWebhook:
        note = self.sandbox.notify("transaction_settled", "transaction", charge_id)
        return SignedWebhook(dict(FORM), urlencode(note.form()).encode())

    def tampered_webhook(self, charge_id: str) -> SignedWebhook:
        note = self.sandbox.notify("transaction_settled", "transaction", charge_id)
        xml = base64.b64decode(note.bt_payload).replace(b"settled", b"voided")
        forged = base64.encodebytes(xml).decode("ascii")
        body = urlencode({"bt_signature": note.bt_signature, "bt_payload": forged}).encode()
        return SignedWebhook(dict(FORM), body)

    def force_unlisted_status(self, kind: ObjectKind, external_id: str) -> str:
        stored_kind, raw = UNLISTED[kind]
        self.sandbox.set_status(stored_kind, external_id, raw)
        return raw

    # --- faults and inspection ------------------------------------------------------------------
    def fail_next_refund(self, charge_id: str, *, status: int, after_commit: bool) -> None:
        self.sandbox.fail_next(1, status=status, path_prefix=f"/transactions/{charge_id}/refund",
                               after_commit=after_commit)

    def _transactions(self) -> list[dict]:
        return self.sandbox.objects("transaction")

    def refund_amounts(self, charge_id: str) -> list[int]:
        credits = [t for t in self._transactions()
                   if t["type"] == "credit" and t["refunded_transaction_id"] == charge_id]
        credits.sort(key=lambda t: t["created_at"])
        return [to_minor(t["amount"], t["currency_iso_code"]) for t in credits]

    def captured_amount(self, charge_id: str) -> int:
        sale = next(t for t in self._transactions() if t["id"] == charge_id)
        return to_minor(sale["amount"], sale["currency_iso_code"]) if sale["status"] in CAPTURED else 0

    def subscription_ids(self) -> list[str]:
        return [s["id"] for s in self.sandbox.objects("subscription")]

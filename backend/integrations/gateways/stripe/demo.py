"""Seed a Stripe sandbox with customers and payments over plain HTTP (Stripe's form bodies).

Used by `chargedesk demo`, benchmarks and tests outside this package (which must not import the
SDK). Talks only to a sandbox URL; never to Stripe itself.
"""
from __future__ import annotations

import requests

API_KEY = "sk_test_chargedesk_sandbox"


class StripeSeeder:
    def __init__(self, base_url: str, api_key: str = API_KEY):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"}

    def post(self, path: str, data: dict | None = None) -> dict:
        resp = requests.post(f"{self.base_url}{path}", data=data or {}, headers=self.headers, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def customer(self, email: str, name: str = "Test Customer") -> dict:
        return self.post("/v1/customers", {"email": email, "name": name})

    def charge(self, customer_id: str, amount: int, currency: str = "usd", *, capture: bool = True,
               card: str = "pm_card_visa") -> dict:
        """A confirmed PaymentIntent; returns its charge (captured, or authorized only)."""
        pi = self.post("/v1/payment_intents", {
            "amount": amount, "currency": currency, "customer": customer_id, "payment_method": card,
            "confirm": "true", "capture_method": "automatic" if capture else "manual",
        })
        return self.get(f"/v1/charges/{pi['latest_charge']}")

    def refund(self, charge_id: str, amount: int | None = None) -> dict:
        data = {"charge": charge_id}
        if amount is not None:
            data["amount"] = amount
        return self.post("/v1/refunds", data)

    def subscription(self, customer_id: str, *, product: str, unit_amount: int, currency: str = "usd",
                     interval: str = "month", trial_days: int | None = None) -> dict:
        prod = self.post("/v1/products", {"name": product})
        price = self.post("/v1/prices", {"product": prod["id"], "unit_amount": unit_amount, "currency": currency,
                                         "recurring[interval]": interval, "nickname": product})
        data = {"customer": customer_id, "items[0][price]": price["id"], "default_payment_method": "pm_card_visa"}
        if trial_days:
            data["trial_period_days"] = trial_days
        return self.post("/v1/subscriptions", data)

    def tax_id(self, customer_id: str, type_: str, value: str) -> dict:
        return self.post(f"/v1/customers/{customer_id}/tax_ids", {"type": type_, "value": value})

    def get(self, path: str) -> dict:
        resp = requests.get(f"{self.base_url}{path}", headers=self.headers, timeout=10)
        resp.raise_for_status()
        return resp.json()


def start_demo_sandbox(customers) -> "DemoSandbox":
    """Start a Stripe sandbox on loopback holding the demo customers' history."""
    from backend.demo_data import DemoSandbox

    from .sandbox import StripeSandbox

    sandbox = StripeSandbox()
    seeder = StripeSeeder(sandbox.start())
    for demo in customers:
        _seed_customer(seeder, demo)
    secret = "whsec_demo_" + "0" * 24
    return DemoSandbox(kind="stripe", url=sandbox.url, credentials={"api_key": API_KEY}, webhook_secret=secret,
                       register_webhook=lambda url: sandbox.add_webhook_endpoint(url, secret=secret),
                       stop=sandbox.stop)


def _seed_customer(seeder: StripeSeeder, demo) -> None:
    cus = seeder.customer(demo.email, demo.name)
    charge_ids = [seeder.charge(cus["id"], amount, currency.lower())["id"] for amount, currency in demo.charges]
    if demo.refund_first_charge and charge_ids:
        seeder.refund(charge_ids[0], demo.refund_first_charge)
    if demo.authorize_only:
        amount, currency = demo.authorize_only
        seeder.charge(cus["id"], amount, currency.lower(), capture=False)
    if demo.subscription:
        plan, amount, currency = demo.subscription
        seeder.subscription(cus["id"], product=plan, unit_amount=amount, currency=currency.lower())
    if demo.tax_id:
        seeder.tax_id(cus["id"], *demo.tax_id)

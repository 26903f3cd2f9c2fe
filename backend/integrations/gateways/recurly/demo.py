"""Demo data for `chargedesk demo`: a Recurly sandbox holding the demo customers' history.

Each demo customer becomes an account (code = the email's local part) with a card, a VAT number
when it has a tax ID, one paid purchase invoice per charge, an "external" refund of the first
charge, and a subscription to a plan priced like the demo's. Recurly has no separate
authorizations here, so `authorize_only` is left out. Talks only to a loopback sandbox.
"""
from __future__ import annotations

import re

from backend.money import to_decimal_string

from ..contract import GatewayConfig
from .client import RecurlyClient
from .mappers import wire_amount
from .sandbox import RecurlySandbox

API_KEY = "recurly-demo-api-key"
WEBHOOK_SECRET = "whsec-recurly-demo-0000000000000000"


def start_demo_sandbox(customers):
    """Start a Recurly sandbox on loopback, seeded with every demo customer's history."""
    from backend.demo_data import DemoSandbox

    sandbox = RecurlySandbox(api_key=API_KEY)
    sandbox.start()
    client = RecurlyClient(GatewayConfig("recurly-demo", {"api_key": API_KEY}, api_base=sandbox.url))
    plans: set[str] = set()
    for demo in customers:
        _seed_customer(sandbox, client, plans, demo)
    return DemoSandbox(kind="recurly", url=sandbox.url, credentials={"api_key": API_KEY},
                       webhook_secret=WEBHOOK_SECRET,
                       register_webhook=lambda url: sandbox.add_webhook_endpoint(url, WEBHOOK_SECRET),
                       stop=sandbox.stop)


def _seed_customer(sandbox: RecurlySandbox, client: RecurlyClient, plans: set[str], demo) -> None:
    code = demo.email.split("@")[0]
    first, _, last = demo.name.partition(" ")
    fields = {"email": demo.email, "first_name": first, "last_name": last}
    if demo.tax_id:
        fields["vat_number"] = demo.tax_id[1]
    sandbox.add_account(code, **fields)
    invoices = [sandbox.add_purchase(code, to_decimal_string(amount, currency), currency,
                                     description="Demo purchase")
                for amount, currency in demo.charges]
    if demo.refund_first_charge and invoices:
        _refund(client, invoices[0], demo.refund_first_charge)
    if demo.subscription:
        plan_code = _plan(sandbox, plans, *demo.subscription)
        client.create_subscription(
            {"plan_code": plan_code, "currency": demo.subscription[2], "account": {"code": code}},
            idempotency_key=f"demo-subscription-{code}")


def _refund(client: RecurlyClient, invoice: dict, amount: int) -> None:
    """A partial refund made "in Recurly's dashboard", so it shows up as external."""
    client.refund_invoice(invoice["id"], {
        "type": "amount", "amount": wire_amount(amount, invoice["currency"]),
        "refund_method": "transaction_first"}, idempotency_key=f"demo-refund-{invoice['id']}")


def _plan(sandbox: RecurlySandbox, plans: set[str], name: str, amount: int, currency: str) -> str:
    """A monthly plan priced like the demo's subscription (created once per name and price)."""
    code = re.sub(r"[^a-z0-9]+", "-", f"{name}-{amount}-{currency}".lower())
    if code not in plans:
        sandbox.add_plan(code=code, name=name, interval_unit="months", currencies=[
            {"currency": currency, "unit_amount": to_decimal_string(amount, currency)}])
        plans.add(code)
    return code

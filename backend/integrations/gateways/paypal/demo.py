"""Demo data for `chargedesk demo`: a PayPal business account holding the demo customers' payments
(one partly refunded in the PayPal dashboard), an authorization awaiting capture, subscriptions and
a draft invoice. Tax ids are not seeded: PayPal does not store them."""
from __future__ import annotations

from backend.money import to_decimal_string

from .sandbox import PayPalSandbox


def start_demo_sandbox(customers):
    from backend.demo_data import DemoSandbox

    sandbox = PayPalSandbox(webhook_id="WH-DEMO-0001")
    sandbox.start()
    for demo in customers:
        _seed_customer(sandbox, demo)
    return DemoSandbox(kind="paypal", url=sandbox.url, credentials=sandbox.credentials(), webhook_secret=None,
                       register_webhook=sandbox.add_webhook_endpoint, stop=sandbox.stop)


def _seed_customer(sandbox: PayPalSandbox, demo) -> None:
    first, _, last = demo.name.partition(" ")
    name = (first, last)
    for index, (amount, currency) in enumerate(demo.charges[:2]):
        capture_id = sandbox.add_capture(demo.email, to_decimal_string(amount, currency), currency, name=name)
        if index == 0 and demo.refund_first_charge:
            sandbox.add_refund(capture_id, to_decimal_string(demo.refund_first_charge, currency))
    if demo.authorize_only:
        amount, currency = demo.authorize_only
        sandbox.add_authorization(demo.email, to_decimal_string(amount, currency), currency, name=name)
    if demo.subscription:
        plan, amount, currency = demo.subscription
        sandbox.add_subscription(demo.email, plan=plan, value=to_decimal_string(amount, currency), currency=currency,
                                 name=name)
        sandbox.add_invoice(demo.email, (("Onboarding workshop", "250.00"),), name=name)

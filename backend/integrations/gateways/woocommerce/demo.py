"""Demo data for `chargedesk demo`: a WooCommerce shop (with WooCommerce Subscriptions) holding the
demo customers' orders, a refund made in wp-admin, an order awaiting a bank transfer, a guest order."""
from __future__ import annotations

from backend.money import to_decimal_string

from .sandbox import WooCommerceSandbox

WEBHOOK_SECRET = "wc-demo-webhook-secret"
GUEST_EMAIL = "walk-in@example.com"


def start_demo_sandbox(customers):
    from backend.demo_data import DemoSandbox

    sandbox = WooCommerceSandbox()
    sandbox.start()
    for demo in customers:
        _seed_customer(sandbox, demo)
    sandbox.add_order(total="12.50", email=GUEST_EMAIL, name="Gift card")  # a guest checkout
    return DemoSandbox(kind="woocommerce", url=sandbox.url, credentials=sandbox.credentials(),
                       webhook_secret=WEBHOOK_SECRET,
                       register_webhook=lambda url: sandbox.add_webhook_endpoint(url, WEBHOOK_SECRET),
                       stop=sandbox.stop)


def _seed_customer(sandbox: WooCommerceSandbox, demo) -> None:
    first, _, last = demo.name.partition(" ")
    customer_id = sandbox.add_customer(demo.email, first_name=first, last_name=last)["id"]
    for index, (amount, currency) in enumerate(demo.charges[:2]):
        order = sandbox.add_order(total=to_decimal_string(amount, currency), currency=currency,
                                  customer_id=customer_id, status="completed")
        if index == 0 and demo.refund_first_charge:
            sandbox.add_refund(order["id"], to_decimal_string(demo.refund_first_charge, currency),
                               reason="Refunded in wp-admin")
    if demo.authorize_only:  # WooCommerce has no auth/capture via REST: an order awaiting payment
        amount, currency = demo.authorize_only
        sandbox.add_order(total=to_decimal_string(amount, currency), currency=currency, customer_id=customer_id,
                          status="on-hold", payment_method="bacs")
    if demo.subscription:
        _plan, amount, currency = demo.subscription
        sandbox.add_subscription(customer_id, total=to_decimal_string(amount, currency), currency=currency)

"""Demo data for `chargedesk demo`: a Braintree sandbox holding the demo customers' history."""
from __future__ import annotations

from backend.money import to_decimal_string

from .client import BraintreeClient
from .sandbox import BraintreeSandbox

MERCHANT_ACCOUNTS = {"USD": "chargedesk_usd", "EUR": "chargedesk_eur", "JPY": "chargedesk_jpy",
                     "KWD": "chargedesk_kwd"}


def start_demo_sandbox(customers):
    """Start the sandbox, add each demo customer with a card, a few settled sales, a refund."""
    from backend.demo_data import DemoSandbox

    sandbox = BraintreeSandbox()
    sandbox.start()
    client = BraintreeClient(sandbox.gateway_config())
    for demo in customers:
        _seed_customer(client, demo)
    return DemoSandbox(kind="braintree", url=sandbox.url, credentials=sandbox.credentials(),
                       webhook_secret=None, register_webhook=sandbox.add_webhook_endpoint, stop=sandbox.stop)


def _seed_customer(client: BraintreeClient, demo) -> None:
    first, _, last = demo.name.partition(" ")
    customer = client.create_customer(email=demo.email, first_name=first, last_name=last,
                                      card_number="4111111111111111")
    token = customer.payment_methods[0].token
    for index, (amount, currency) in enumerate(demo.charges[:2]):
        sale = client.sale(amount=to_decimal_string(amount, currency), payment_method_token=token,
                           merchant_account_id=MERCHANT_ACCOUNTS.get(currency), submit_for_settlement=True)
        client.settle(sale.id)
        if index == 0 and demo.refund_first_charge:
            client.refund(sale.id, amount=to_decimal_string(demo.refund_first_charge, currency),
                          order_id=f"demo-refund-{sale.id}")
    if demo.authorize_only:
        amount, currency = demo.authorize_only
        client.sale(amount=to_decimal_string(amount, currency), payment_method_token=token,
                    merchant_account_id=MERCHANT_ACCOUNTS.get(currency))
    if demo.subscription:
        client.create_subscription(subscription_id=f"demo{customer.id}", plan_id="pro_monthly",
                                   payment_method_token=token, trial_days=None, discount_ids=())

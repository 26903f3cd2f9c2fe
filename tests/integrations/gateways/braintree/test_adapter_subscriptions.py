"""Subscriptions, discounts, capabilities and unsupported operations."""
from __future__ import annotations

import datetime as dt

import pytest

from backend.integrations.gateways import Capability, Operation, adapter_class
from backend.integrations.gateways.braintree.adapter import subscription_id_for
from backend.integrations.gateways.errors import GatewayRejected, Unsupported
from backend.integrations.gateways.records import ObjectKind, SubscriptionStatus


def create(adapter, customer_id, key, *, plan="pro_monthly", coupon=None, trial_days=None):
    return adapter.create_subscription(customer_id=customer_id, price_id=plan, quantity=1,
                                       trial_days=trial_days, coupon=coupon,
                                       idempotency_key=key)


def test_capabilities_and_connect_options():
    cls = adapter_class("braintree")
    assert Capability.CANCEL_NOW in cls.capabilities
    assert Capability.COUPON_ON_SUBSCRIPTION in cls.capabilities
    for missing in (Capability.CANCEL_AT_PERIOD_END, Capability.CANCEL_PRORATE,
                    Capability.CREATE_INVOICE, Capability.TAX_IDS, Capability.COUPON_ON_CUSTOMER):
        assert missing not in cls.capabilities
    assert [o.name for o in cls.connect_options] == ["merchant_id", "public_key", "private_key"]
    assert [o.secret for o in cls.connect_options] == [False, False, True]
    assert cls.webhook_secret_required is False


def test_create_with_discount_then_cancel(adapter, make_customer, sandbox, sdk):
    customer = make_customer()
    sub = create(adapter, customer.id, "run-1", coupon="launch10")
    assert sub.status is SubscriptionStatus.ACTIVE
    assert (sub.customer_external_id, sub.price_external_id) == (customer.id, "pro_monthly")
    assert (sub.amount, sub.currency, sub.plan_name) == (3000, "USD", "Pro monthly")
    assert sub.discount_codes == ("launch10",)
    first_charge = [t for t in sandbox.objects("transaction") if t["subscription_id"] == sub.external_id]
    assert [str(t["amount"]) for t in first_charge] == ["20.00"]

    canceled = adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                           prorate=False, idempotency_key="run-2")
    assert canceled.status is SubscriptionStatus.CANCELED
    assert canceled.canceled_at is not None
    again = sdk.subscription.cancel(sub.external_id)
    assert not again.is_success
    assert again.errors.deep_errors[0].code == "81905"


def test_cancel_again_through_the_client_is_rejected(adapter, make_customer):
    sub = create(adapter, make_customer().id, "run-1")
    adapter.client.cancel_subscription(sub.external_id)
    with pytest.raises(GatewayRejected) as caught:
        adapter.client.cancel_subscription(sub.external_id)
    assert caught.value.code == "81905"
    assert caught.value.message == "Subscription has already been canceled."
    replay = adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                         prorate=False, idempotency_key="run-2")
    assert replay.status is SubscriptionStatus.CANCELED


def test_cancel_at_period_end_is_unsupported(adapter, make_customer):
    sub = create(adapter, make_customer().id, "run-1")
    with pytest.raises(Unsupported, match="immediately"):
        adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=True,
                                    prorate=False, idempotency_key="run-2")
    assert adapter.fetch(ObjectKind.SUBSCRIPTION, sub.external_id).status is \
        SubscriptionStatus.ACTIVE


def test_trial_subscription_is_trialing_and_not_charged(adapter, make_customer, sandbox):
    sub = create(adapter, make_customer().id, "run-1", plan="basic_monthly", trial_days=14)
    assert sub.status is SubscriptionStatus.TRIALING
    assert sub.raw_status == "Active"
    today = dt.datetime.now(dt.timezone.utc).date()
    assert sub.trial_end.date() == today + dt.timedelta(days=14)
    assert [t for t in sandbox.objects("transaction") if t["subscription_id"]] == []


def test_create_is_idempotent_by_key(adapter, make_customer, sandbox):
    customer = make_customer()
    first = create(adapter, customer.id, "run-1")
    again = create(adapter, customer.id, "run-1")
    assert again.external_id == first.external_id == subscription_id_for("run-1")
    assert len(sandbox.objects("subscription")) == 1
    found = adapter.reconcile(operation=Operation.CREATE_SUBSCRIPTION, target_id=customer.id,
                              idempotency_key="run-1")
    assert found.external_id == first.external_id
    assert adapter.reconcile(operation=Operation.CREATE_SUBSCRIPTION, target_id=customer.id,
                             idempotency_key="run-other") is None


def test_bad_plan_and_missing_card_are_rejected(adapter, make_customer, sdk):
    with pytest.raises(GatewayRejected) as caught:
        create(adapter, make_customer().id, "run-1", plan="no_such_plan")
    assert caught.value.code == "91904"
    bare = sdk.customer.create({"email": "nocard@example.com"}).customer
    with pytest.raises(GatewayRejected) as caught:
        create(adapter, bare.id, "run-2")
    assert caught.value.code == "no_payment_method"


def test_quantity_other_than_one_is_unsupported(adapter, make_customer):
    with pytest.raises(Unsupported):
        adapter.create_subscription(customer_id=make_customer().id, price_id="pro_monthly",
                                    quantity=2, trial_days=None, coupon=None,
                                    idempotency_key="run-1")


def test_apply_coupon_adds_a_discount_once(adapter, make_customer, sandbox):
    sub = create(adapter, make_customer().id, "run-1")
    updated = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=sub.external_id,
                                   code="loyal5", idempotency_key="run-2")
    assert updated.discount_codes == ("loyal5",)
    replay = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=sub.external_id,
                                  code="loyal5", idempotency_key="run-2")
    assert replay.discount_codes == ("loyal5",)
    stored = sandbox.objects("subscription")[0]
    assert str(stored["next_billing_period_amount"]) == "25.00"
    with pytest.raises(GatewayRejected) as caught:
        adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=sub.external_id,
                             code="nope", idempotency_key="run-3")
    assert caught.value.code == "92013"


def test_customer_coupons_invoices_and_tax_ids_are_unsupported(adapter, make_customer):
    customer = make_customer()
    with pytest.raises(Unsupported, match="subscriptions only"):
        adapter.apply_coupon(target_kind=ObjectKind.CUSTOMER, target_id=customer.id,
                             code="loyal5", idempotency_key="k")
    with pytest.raises(Unsupported, match="invoices"):
        adapter.create_invoice(customer_id=customer.id, currency="USD", lines=(),
                               days_until_due=7, idempotency_key="k")
    with pytest.raises(Unsupported, match="invoices"):
        adapter.send_invoice(invoice_id="in_1", idempotency_key="k")
    with pytest.raises(Unsupported, match="tax"):
        adapter.add_tax_id(customer_id=customer.id, type="eu_vat", value="DE123", idempotency_key="k")
    with pytest.raises(Unsupported):
        adapter.list_page(ObjectKind.INVOICE, cursor=None)


def test_reconcile_cancel(adapter, make_customer):
    sub = create(adapter, make_customer().id, "run-1")
    assert adapter.reconcile(operation=Operation.CANCEL_SUBSCRIPTION, target_id=sub.external_id,
                             idempotency_key="run-2") is None
    adapter.client.cancel_subscription(sub.external_id)
    found = adapter.reconcile(operation=Operation.CANCEL_SUBSCRIPTION, target_id=sub.external_id,
                              idempotency_key="run-2")
    assert found.status is SubscriptionStatus.CANCELED


def test_customer_record(adapter, make_customer):
    customer = make_customer(email="grace@example.com")
    record = adapter.fetch(ObjectKind.CUSTOMER, customer.id)
    assert (record.email, record.name, record.emails) == (
        "grace@example.com", "Ada Lovelace", ("grace@example.com",))

"""Subscriptions, coupons, VAT numbers and invoice collection through the real SDK."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backend.integrations.gateways import adapter_class
from backend.integrations.gateways.contract import Capability, GatewayAdapter, Operation
from backend.integrations.gateways.errors import GatewayRejected, Unsupported
from backend.integrations.gateways.records import (InvoiceStatus, ObjectKind,
                                                   SubscriptionStatus)


@pytest.fixture
def subscribe(adapter, make_account):
    def make(code="ada", *, plan="basic", trial_days=None, coupon=None, quantity=1, key="sub-1",
             country=None):
        account = make_account(code, country=country)
        return adapter.create_subscription(
            customer_id=account.id, price_id=plan, quantity=quantity, trial_days=trial_days,
            coupon=coupon, idempotency_key=key)
    return make


def test_adapter_fulfils_the_contract_and_registry(adapter):
    assert isinstance(adapter, GatewayAdapter)
    assert adapter_class("recurly") is type(adapter)
    assert [o.name for o in adapter.connect_options] == ["api_key"]
    assert adapter.webhook_secret_required is True
    assert set(adapter.syncable_kinds) == {ObjectKind.CUSTOMER, ObjectKind.CHARGE,
                                           ObjectKind.REFUND, ObjectKind.SUBSCRIPTION,
                                           ObjectKind.INVOICE, ObjectKind.TAX_ID}


def test_capabilities_are_declared_honestly(adapter):
    assert Capability.CAPTURE not in adapter.capabilities
    assert Capability.VOID not in adapter.capabilities
    assert Capability.CREATE_INVOICE not in adapter.capabilities
    assert {Capability.CANCEL_AT_PERIOD_END, Capability.CANCEL_PRORATE,
            Capability.COUPON_ON_SUBSCRIPTION, Capability.TAX_IDS} <= adapter.capabilities
    with pytest.raises(Unsupported):
        adapter.capture(charge_id="x", amount=None, idempotency_key="k")
    with pytest.raises(Unsupported):
        adapter.create_invoice(customer_id="x", currency="USD", lines=(), days_until_due=7,
                               idempotency_key="k")


def test_create_subscription_bills_the_first_period(subscribe, adapter, sandbox):
    sub = subscribe(quantity=2, key="sub-create")

    assert sub.status is SubscriptionStatus.ACTIVE
    assert (sub.price_external_id, sub.quantity, sub.amount, sub.currency) == (
        "basic", 2, 1000, "USD")
    invoices = adapter.list_page(ObjectKind.INVOICE, cursor=None).items
    assert [(i.status, i.total, i.subscription_external_id) for i in invoices] == [
        (InvoiceStatus.PAID, 2000, sub.external_id)]
    create = [r for r in sandbox.requests if r["path"] == "/subscriptions"][0]
    assert create["body"]["account"] == {"code": "ada"}
    assert create["headers"]["Idempotency-Key"] == "sub-create"


def test_multi_currency_plan_needs_a_default_currency(adapter, make_account, config, sandbox):
    sandbox.add_plan(code="duo", currencies=[{"currency": "USD", "unit_amount": "5"},
                                             {"currency": "EUR", "unit_amount": "4"}])
    account = make_account("multi")
    undecided = type(adapter)(config.__class__(**{**config.__dict__, "settings": {}}))
    with pytest.raises(GatewayRejected, match="default_currency"):
        undecided.create_subscription(customer_id=account.id, price_id="duo", quantity=1,
                                      trial_days=None, coupon=None, idempotency_key="k1")
    eur = type(adapter)(config.__class__(**{**config.__dict__,
                                            "settings": {"default_currency": "EUR"}}))
    sub = eur.create_subscription(customer_id=account.id, price_id="duo", quantity=1,
                                  trial_days=None, coupon=None, idempotency_key="k2")
    assert (sub.currency, sub.amount) == ("EUR", 400)


def test_trial_subscription_is_trialing_and_unbilled(subscribe, sandbox):
    sub = subscribe(trial_days=14)
    assert sub.status is SubscriptionStatus.TRIALING
    assert sub.trial_end > datetime.now(timezone.utc) + timedelta(days=14)
    assert sub.trial_end.time() == datetime.min.time()  # midnight: stable across retries
    assert sandbox.objects("invoices") == []


def test_coupon_at_creation_discounts_the_first_invoice(subscribe, sandbox):
    sub = subscribe(coupon="SAVE20")
    assert sub.discount_codes == ("SAVE20",)
    invoice = sandbox.objects("invoices")[0]
    assert (invoice["subtotal"], invoice["discount"], invoice["total"]) == (
        Decimal("10.00"), Decimal("2.00"), Decimal("8.00"))


def test_cancel_at_period_end_keeps_it_served_until_the_period_ends(subscribe, adapter,
                                                                     sandbox):
    sub = subscribe()

    canceled = adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=True,
                                           prorate=False, idempotency_key="cancel-1")

    assert canceled.raw_status == "canceled"
    assert canceled.status is SubscriptionStatus.ACTIVE
    assert canceled.cancel_at_period_end is True
    assert canceled.current_period_end == sub.current_period_end
    assert canceled.canceled_at is not None
    sent = [r for r in sandbox.requests if r["path"].endswith("/cancel")][0]["body"]
    assert sent == {"timeframe": "term_end"}
    sandbox.advance_clock(days=32)
    expired = adapter.fetch(ObjectKind.SUBSCRIPTION, sub.external_id)
    assert (expired.status, expired.raw_status) == (SubscriptionStatus.EXPIRED, "expired")
    assert adapter.reconcile(operation=Operation.CANCEL_SUBSCRIPTION,
                             target_id=sub.external_id, idempotency_key="cancel-1") == expired


def test_cancel_now_terminates_without_refund(subscribe, adapter, sandbox):
    sub = subscribe()
    ended = adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                        prorate=False, idempotency_key="cancel-2")
    assert (ended.status, ended.cancel_at_period_end) == (SubscriptionStatus.EXPIRED, False)
    assert [r["query"] for r in sandbox.requests if r["method"] == "DELETE"] == [
        {"refund": "none"}]
    assert [t["type"] for t in sandbox.objects("transactions")] == ["purchase"]


def test_cancel_now_with_proration_refunds_the_unused_part(subscribe, adapter, sandbox):
    sub = subscribe()
    sandbox.advance_clock(days=10)
    adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                prorate=True, idempotency_key="cancel-3")
    refunds = [t for t in sandbox.objects("transactions") if t["type"] == "refund"]
    assert len(refunds) == 1
    assert Decimal("5.00") < refunds[0]["amount"] < Decimal("8.00")  # about 20/30 of 10.00


def test_cancelling_again_is_rejected(subscribe, adapter):
    sub = subscribe()
    adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=True,
                                prorate=False, idempotency_key="c-1")
    with pytest.raises(GatewayRejected) as caught:
        adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=True,
                                    prorate=False, idempotency_key="c-2")
    assert caught.value.code == "validation"
    adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                prorate=False, idempotency_key="c-3")  # canceled -> expired ok
    with pytest.raises(GatewayRejected, match="expired"):
        adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                    prorate=False, idempotency_key="c-4")


def test_prorate_at_period_end_is_unsupported(subscribe, adapter):
    sub = subscribe()
    with pytest.raises(Unsupported):
        adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=True,
                                    prorate=True, idempotency_key="c-5")


def test_coupon_on_customer_and_on_subscription(subscribe, adapter, sandbox):
    sub = subscribe()
    customer = adapter.apply_coupon(target_kind=ObjectKind.CUSTOMER,
                                    target_id=sub.customer_external_id, code="FIVEOFF",
                                    idempotency_key="coupon-1")
    assert customer.metadata["coupon_codes"] == ["FIVEOFF"]
    updated = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION,
                                   target_id=sub.external_id, code="SAVE20",
                                   idempotency_key="coupon-2")
    assert updated.discount_codes == ("SAVE20",)
    redemptions = sandbox.objects("redemptions")
    assert [(r["coupon"]["code"], r["subscription_id"]) for r in redemptions] == [
        ("FIVEOFF", None), ("SAVE20", sub.external_id)]
    with pytest.raises(GatewayRejected, match="redeem"):
        adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=sub.external_id,
                             code="SAVE20", idempotency_key="coupon-3")
    with pytest.raises(GatewayRejected):
        adapter.apply_coupon(target_kind=ObjectKind.CUSTOMER,
                             target_id=sub.customer_external_id, code="NOPE",
                             idempotency_key="coupon-4")


def test_vat_number_becomes_a_tax_id_and_reverse_charges_vat(adapter, make_account, sdk):
    account = make_account("hans", country="DE")
    taxed = sdk.create_purchase({"currency": "EUR", "account": {"code": "hans"},
                                 "line_items": [{"unit_amount": 100.0, "currency": "EUR"}]})
    record = adapter.fetch(ObjectKind.INVOICE, taxed.charge_invoice.id)
    assert (record.subtotal, record.tax, record.total) == (10000, 1900, 11900)
    assert [(t.rate_percent, t.amount, t.jurisdiction, t.reverse_charge)
            for t in record.tax_lines] == [("19", 1900, "DE", False)]

    tax_id = adapter.add_tax_id(customer_id=account.id, type="eu_vat", value="DE123456789",
                                idempotency_key="vat-1")

    assert (tax_id.type, tax_id.value, tax_id.country) == ("eu_vat", "DE123456789", "DE")
    assert adapter.fetch(ObjectKind.TAX_ID, tax_id.external_id) == tax_id
    exempt = sdk.create_purchase({"currency": "EUR", "account": {"code": "hans"},
                                  "line_items": [{"unit_amount": 100.0, "currency": "EUR"}]})
    lines = adapter.fetch(ObjectKind.INVOICE, exempt.charge_invoice.id).tax_lines
    assert [(t.amount, t.reverse_charge) for t in lines] == [(0, True)]
    with pytest.raises(Unsupported):
        adapter.add_tax_id(customer_id=account.id, type="us_ein", value="12-3456789",
                           idempotency_key="vat-2")


def test_send_invoice_collects_a_past_due_invoice(adapter, make_account, sandbox):
    make_account("late")
    past_due = sandbox.add_past_due_invoice("late", "30.00", "USD")
    assert adapter.fetch(ObjectKind.INVOICE, past_due["id"]).raw_status == "past_due"
    assert adapter.reconcile(operation=Operation.SEND_INVOICE, target_id=past_due["id"],
                             idempotency_key="send-1") is None

    paid = adapter.send_invoice(invoice_id=past_due["id"], idempotency_key="send-1")

    assert (paid.status, paid.amount_paid, paid.amount_due) == (InvoiceStatus.PAID, 3000, 0)
    assert paid.charge_external_id is not None
    with pytest.raises(GatewayRejected):
        adapter.send_invoice(invoice_id=past_due["id"], idempotency_key="send-2")


def test_unknown_subscription_state_maps_to_unknown(adapter, subscribe, sandbox):
    sub = subscribe()
    sandbox.store.objects["subscriptions"][sub.external_id]["state"] = "future"
    fetched = adapter.fetch(ObjectKind.SUBSCRIPTION, sub.external_id)
    assert (fetched.status, fetched.raw_status) == (SubscriptionStatus.UNKNOWN, "future")

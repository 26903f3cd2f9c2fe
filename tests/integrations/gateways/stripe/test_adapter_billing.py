"""StripeAdapter billing operations against the Stripe sandbox: subscriptions, invoices, coupons, tax ids."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from backend.integrations.gateways.contract import Operation
from backend.integrations.gateways.errors import GatewayNotFound, GatewayRejected, GatewayUnavailable
from backend.integrations.gateways.records import (
    CustomerRecord, InvoiceLineRecord, InvoiceStatus, ObjectKind, SubscriptionStatus, TaxIdRecord,
)
from backend.integrations.gateways.stripe.adapter import StripeAdapter

pytestmark = pytest.mark.usefixtures("fresh_sandbox")


@pytest.fixture
def subscriber(make):
    """A customer with a working default card and a $15/month price."""
    return make.customer("sub@example.com", card="pm_card_visa"), make.price(1500, nickname="Pro monthly")


def subscribe(adapter, customer_id, price_id, key, **options):
    params = {"quantity": 1, "trial_days": None, "coupon": None} | options
    return adapter.create_subscription(customer_id=customer_id, price_id=price_id,
                                       idempotency_key=key, **params)


# --- subscriptions ---------------------------------------------------------------------------
def test_create_subscription_with_trial_quantity_and_promotion_code(adapter, make, subscriber):
    customer_id, price_id = subscriber
    make.promotion_code(make.coupon("TWENTY"), "SAVE20")
    record = subscribe(adapter, customer_id, price_id, "run-sub", quantity=2, trial_days=14,
                       coupon="SAVE20")
    assert record.external_id.startswith("sub_") and record.customer_external_id == customer_id
    assert record.status is SubscriptionStatus.TRIALING
    assert (record.plan_name, record.price_external_id, record.amount, record.currency) == (
        "Pro monthly", price_id, 1500, "USD")
    assert (record.interval, record.quantity, record.discount_codes) == ("month", 2, ("SAVE20",))
    expected_trial_end = datetime.now(timezone.utc) + timedelta(days=14)
    assert abs(record.trial_end - expected_trial_end) < timedelta(minutes=5)
    assert make.posts_to("/v1/subscriptions") == ["run-sub"]


def test_a_code_without_promotion_code_is_a_coupon_id(adapter, make, subscriber):
    customer_id, price_id = subscriber
    make.coupon("WINTER")
    record = subscribe(adapter, customer_id, price_id, "run-winter", coupon="WINTER")
    assert record.status is SubscriptionStatus.ACTIVE and record.discount_codes == ("WINTER",)


def test_unknown_coupon_is_not_found(adapter, subscriber, make):
    customer_id, price_id = subscriber
    with pytest.raises(GatewayNotFound) as caught:
        subscribe(adapter, customer_id, price_id, "run-nope", coupon="NOPE")
    assert "NOPE" in caught.value.message
    assert make.sandbox.objects("subscription") == []


def test_reconcile_finds_a_created_subscription_by_key(adapter, make, subscriber):
    customer_id, price_id = subscriber
    make.sandbox.fail_next(1, status=500, path_prefix="/v1/subscriptions", after_commit=True)
    with pytest.raises(GatewayUnavailable):
        subscribe(adapter, customer_id, price_id, "run-lost-sub")
    found = adapter.reconcile(operation=Operation.CREATE_SUBSCRIPTION, target_id=customer_id,
                              idempotency_key="run-lost-sub")
    assert found is not None and found.price_external_id == price_id
    assert adapter.reconcile(operation=Operation.CREATE_SUBSCRIPTION, target_id=customer_id,
                             idempotency_key="run-other") is None
    assert subscribe(adapter, customer_id, price_id, "run-lost-sub").external_id == found.external_id
    assert len(make.sandbox.objects("subscription")) == 1


def test_cancel_at_period_end(adapter, subscriber):
    customer_id, price_id = subscriber
    created = subscribe(adapter, customer_id, price_id, "run-s1")
    assert adapter.reconcile(operation=Operation.CANCEL_SUBSCRIPTION, target_id=created.external_id,
                             idempotency_key="run-c1") is None
    record = adapter.cancel_subscription(subscription_id=created.external_id, at_period_end=True,
                                         prorate=False, idempotency_key="run-c1")
    assert (record.status, record.cancel_at_period_end) == (SubscriptionStatus.ACTIVE, True)
    assert adapter.reconcile(operation=Operation.CANCEL_SUBSCRIPTION, target_id=created.external_id,
                             idempotency_key="run-c1") == record


def test_cancel_now_with_proration(adapter, subscriber):
    customer_id, price_id = subscriber
    created = subscribe(adapter, customer_id, price_id, "run-s2")
    record = adapter.cancel_subscription(subscription_id=created.external_id, at_period_end=False,
                                         prorate=True, idempotency_key="run-c2")
    assert record.status is SubscriptionStatus.CANCELED
    assert abs(record.canceled_at.timestamp() - time.time()) < 300
    assert adapter.fetch(ObjectKind.SUBSCRIPTION, created.external_id) == record


def test_subscriptions_list_includes_canceled_ones(adapter, subscriber):
    customer_id, price_id = subscriber
    kept = subscribe(adapter, customer_id, price_id, "run-k")
    ended = subscribe(adapter, customer_id, price_id, "run-e")
    adapter.cancel_subscription(subscription_id=ended.external_id, at_period_end=False,
                                prorate=False, idempotency_key="run-end")
    first = adapter.list_page(ObjectKind.SUBSCRIPTION, cursor=None, limit=1)
    second = adapter.list_page(ObjectKind.SUBSCRIPTION, cursor=first.next_cursor, limit=1)
    statuses = {r.external_id: r.status for r in first.items + second.items}
    assert statuses == {kept.external_id: SubscriptionStatus.ACTIVE,
                        ended.external_id: SubscriptionStatus.CANCELED}
    assert second.next_cursor is None


# --- coupons ---------------------------------------------------------------------------------
def test_apply_coupon_to_subscription_keeps_existing_discounts(adapter, make, subscriber):
    customer_id, price_id = subscriber
    make.coupon("FIRST")
    make.promotion_code(make.coupon("SECOND"), "SPRING")
    created = subscribe(adapter, customer_id, price_id, "run-s3", coupon="FIRST")
    record = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=created.external_id,
                                  code="SPRING", idempotency_key="run-coupon")
    assert sorted(record.discount_codes) == ["FIRST", "SPRING"]


def test_applying_the_same_coupon_twice_changes_nothing(adapter, make, subscriber):
    customer_id, price_id = subscriber
    make.coupon("ONCE")
    created = subscribe(adapter, customer_id, price_id, "run-s4")
    path = f"/v1/subscriptions/{created.external_id}"
    first = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=created.external_id,
                                 code="ONCE", idempotency_key="run-a1")
    again = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=created.external_id,
                                 code="ONCE", idempotency_key="run-a2")
    assert first.discount_codes == again.discount_codes == ("ONCE",)
    assert make.posts_to(path) == ["run-a1"]


def test_apply_coupon_to_customer_discounts_live_subscriptions(adapter, make, subscriber):
    customer_id, price_id = subscriber
    make.coupon("LOYAL")
    live = subscribe(adapter, customer_id, price_id, "run-live")
    ended = subscribe(adapter, customer_id, price_id, "run-ended")
    adapter.cancel_subscription(subscription_id=ended.external_id, at_period_end=False,
                                prorate=False, idempotency_key="run-cancel")
    record = adapter.apply_coupon(target_kind=ObjectKind.CUSTOMER, target_id=customer_id,
                                  code="LOYAL", idempotency_key="run-loyal")
    assert isinstance(record, CustomerRecord) and record.external_id == customer_id
    assert adapter.fetch(ObjectKind.SUBSCRIPTION, live.external_id).discount_codes == ("LOYAL",)
    assert adapter.fetch(ObjectKind.SUBSCRIPTION, ended.external_id).discount_codes == ()
    assert make.posts_to(f"/v1/subscriptions/{live.external_id}") == [
        f"run-loyal:{live.external_id}"]


def test_apply_coupon_to_customer_without_subscriptions_is_rejected(adapter, make):
    customer_id = make.customer("nosub@example.com")
    make.coupon("LONELY")
    with pytest.raises(GatewayRejected) as caught:
        adapter.apply_coupon(target_kind=ObjectKind.CUSTOMER, target_id=customer_id,
                             code="LONELY", idempotency_key="run-lonely")
    assert caught.value.code == "no_subscription"


# --- invoices --------------------------------------------------------------------------------
LINES = (InvoiceLineRecord("Setup fee", 1000), InvoiceLineRecord("Consulting, 2 hours", 2500))


def test_create_invoice_as_draft_with_lines(adapter, make):
    customer_id = make.customer("bill@example.com")
    record = adapter.create_invoice(customer_id=customer_id, currency="EUR", lines=LINES,
                                    days_until_due=14, idempotency_key="run-inv")
    assert record.status is InvoiceStatus.DRAFT and record.currency == "EUR"
    assert (record.customer_external_id, record.total, record.amount_due) == (customer_id, 3500, 3500)
    assert sorted((line.description, line.amount) for line in record.lines) == [
        ("Consulting, 2 hours", 2500), ("Setup fee", 1000)]
    assert make.posts_to("/v1/invoices") == ["run-inv:invoice"]
    assert make.posts_to("/v1/invoiceitems") == ["run-inv:line:0", "run-inv:line:1"]


def test_create_invoice_replay_and_reconcile(adapter, make):
    customer_id = make.customer("again@example.com")
    first = adapter.create_invoice(customer_id=customer_id, currency="USD", lines=LINES,
                                   days_until_due=7, idempotency_key="run-twice")
    again = adapter.create_invoice(customer_id=customer_id, currency="USD", lines=LINES,
                                   days_until_due=7, idempotency_key="run-twice")
    assert again.external_id == first.external_id and len(again.lines) == 2
    assert len(make.sandbox.objects("invoice")) == 1
    found = adapter.reconcile(operation=Operation.CREATE_INVOICE, target_id=customer_id,
                              idempotency_key="run-twice")
    assert found is not None and found.external_id == first.external_id


def test_send_invoice_finalizes_and_sends(adapter, make):
    customer_id = make.customer("pay@example.com")
    draft = adapter.create_invoice(customer_id=customer_id, currency="USD", lines=LINES,
                                   days_until_due=30, idempotency_key="run-draft")
    sent = adapter.send_invoice(invoice_id=draft.external_id, idempotency_key="run-send")
    assert sent.status is InvoiceStatus.OPEN and sent.external_id == draft.external_id
    assert sent.number and sent.hosted_url and sent.total == 3500
    assert abs(sent.due_at - datetime.now(timezone.utc) - timedelta(days=30)) < timedelta(minutes=5)
    assert make.posts_to(f"/v1/invoices/{draft.external_id}/finalize") == ["run-send:finalize"]
    assert make.posts_to(f"/v1/invoices/{draft.external_id}/send") == ["run-send:send"]
    assert len(make.sandbox.invoice_sends) == 1


def test_invoices_are_listed(adapter, make):
    customer_id = make.customer("list@example.com")
    made = {adapter.create_invoice(customer_id=customer_id, currency="USD", lines=LINES[:1],
                                   days_until_due=5, idempotency_key=f"run-l{n}").external_id
            for n in range(3)}
    first = adapter.list_page(ObjectKind.INVOICE, cursor=None, limit=2)
    rest = adapter.list_page(ObjectKind.INVOICE, cursor=first.next_cursor, limit=2)
    assert {r.external_id for r in first.items + rest.items} == made and rest.next_cursor is None


# --- tax ids ---------------------------------------------------------------------------------
def test_add_tax_id_and_fetch_it(adapter, make):
    customer_id = make.customer("vat@example.com")
    added = adapter.add_tax_id(customer_id=customer_id, type="eu_vat", value="DE123456789",
                               idempotency_key="run-tax")
    assert isinstance(added, TaxIdRecord) and added.external_id.startswith("txi_")
    assert (added.customer_external_id, added.type, added.value) == (customer_id, "eu_vat", "DE123456789")
    assert added.country == "DE"
    assert adapter.fetch(ObjectKind.TAX_ID, added.external_id) == added


def test_tax_ids_walk_every_customer_resumably(adapter, make):
    expected = {}
    for customer_index, count in enumerate((3, 0, 1, 2)):
        customer_id = make.customer(f"tax{customer_index}@example.com")
        for n in range(count):
            added = adapter.add_tax_id(customer_id=customer_id, type="eu_vat",
                                       value=f"DE{customer_index}0000000{n}",
                                       idempotency_key=f"run-tax-{customer_index}-{n}")
            expected[added.external_id] = customer_id
    seen, cursor, pages = {}, None, 0
    while True:
        fresh = StripeAdapter(adapter.config)  # a restarted worker resumes from the saved cursor
        page = fresh.list_page(ObjectKind.TAX_ID, cursor=cursor, limit=2)
        assert len(page.items) <= 2
        for record in page.items:
            assert record.external_id not in seen
            seen[record.external_id] = record.customer_external_id
        pages, cursor = pages + 1, page.next_cursor
        if cursor is None:
            break
    assert seen == expected and pages >= 3


def test_tax_id_listing_with_no_customers(adapter):
    page = adapter.list_page(ObjectKind.TAX_ID, cursor=None)
    assert (page.items, page.next_cursor) == ((), None)

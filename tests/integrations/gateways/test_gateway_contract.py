"""One behaviour suite for every gateway adapter, against each gateway's loopback sandbox.

Runs over every registered gateway (each needs a harness in contract_harness/). A test skips only
when the adapter's `capabilities` declare the feature unsupported, and then the operation must
raise Unsupported; a declared capability that does not work fails. State is arranged and checked
at the sandbox through the harness, so "one refund at the gateway" means one at the gateway.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from backend.integrations.gateways import Capability, GatewayAdapter, Operation, gateway_names
from backend.integrations.gateways.errors import (
    GatewayRejected, GatewayUnavailable, Unsupported, WebhookVerificationError,
)
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, InvoiceLineRecord, InvoiceStatus, ObjectKind,
    RefundRecord, RefundStatus, SubscriptionStatus,
)

from .contract_harness import HARNESSES
from .contract_harness.suite import UNDECLARED_PROBES, refund, require, walk

ENDED = (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED)
DONE_OR_UNDER_WAY = (RefundStatus.SUCCEEDED, RefundStatus.PENDING)


@pytest.fixture(scope="module", params=gateway_names())
def running(request):
    """One started sandbox per gateway for the module; a registered gateway without a harness fails."""
    harness_class = HARNESSES.get(request.param)
    if harness_class is None:
        pytest.fail(f"gateway {request.param!r} is registered but has no contract harness: add one "
                    "to tests/integrations/gateways/contract_harness/")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    harness = harness_class()
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def harness(running):
    running.reset()
    return running


@pytest.fixture
def adapter(harness) -> GatewayAdapter:
    return harness.adapter()


# --- the adapter's declarations -----------------------------------------------------------------
def test_adapter_fulfils_the_protocol(harness, adapter):
    assert isinstance(adapter, GatewayAdapter)
    assert adapter.name == harness.name
    assert adapter.capabilities <= set(Capability)
    assert {ObjectKind.CUSTOMER, ObjectKind.CHARGE} <= set(adapter.syncable_kinds)
    assert set(UNDECLARED_PROBES) == set(Capability), "every capability needs a probe here"


def test_undeclared_operations_raise_unsupported_before_any_lookup(adapter):
    undeclared = [c for c in Capability if c not in adapter.capabilities]
    if not undeclared:
        pytest.skip(f"{adapter.name} declares every capability")
    wrong = []
    for capability in undeclared:
        try:
            UNDECLARED_PROBES[capability](adapter)
            wrong.append(f"{capability.value}: no error")
        except Unsupported:
            continue
        except Exception as exc:  # noqa: BLE001 - any other outcome is the finding
            wrong.append(f"{capability.value}: {type(exc).__name__}: {exc}")
    assert wrong == [], "undeclared operations must raise Unsupported"


# --- sync -----------------------------------------------------------------------------------------
def arrange(harness, kind: ObjectKind, count: int) -> list[str]:
    if kind is ObjectKind.CUSTOMER:
        return [harness.customer() for _ in range(count)]
    customer = harness.customer()
    return [harness.settled_charge(customer, 1000 + index, "USD") for index in range(count)]


@pytest.mark.parametrize("kind", [ObjectKind.CUSTOMER, ObjectKind.CHARGE])
def test_listing_pages_through_every_object_once(harness, adapter, kind):
    created = arrange(harness, kind, 5)
    records, pages = walk(adapter, kind)
    assert pages >= 3
    assert sorted(r.external_id for r in records) == sorted(created)


@pytest.mark.parametrize("kind", [ObjectKind.CUSTOMER, ObjectKind.CHARGE])
def test_listing_resumes_from_a_saved_cursor_without_duplicates(harness, adapter, kind):
    created = arrange(harness, kind, 5)
    first = adapter.list_page(kind, cursor=None, limit=2)
    saved = first.next_cursor
    assert isinstance(saved, str) and saved
    rest, _pages = walk(harness.adapter(), kind, saved)  # as a restarted job would
    ids = [r.external_id for r in (*first.items, *rest)]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(created)


# --- refunds --------------------------------------------------------------------------------------
@pytest.mark.parametrize("currency, amount, parts", [
    ("USD", 10000, (2500, 1000)),
    ("JPY", 5000, (1234, 766)),  # zero-decimal: minor units are whole yen, no factor of 100
])
def test_partial_refunds_then_the_rest(harness, adapter, currency, amount, parts):
    require(adapter, Capability.REFUND, Capability.PARTIAL_REFUND)
    charge = harness.settled_charge(harness.customer(), amount, currency)
    refunded = 0
    for index, part in enumerate(parts):
        result = refund(adapter, charge, part, currency, f"partial-{index}")
        refunded += part
        assert (result.refund.amount, result.refund.currency) == (part, currency)
        assert result.refund.charge_external_id == charge
        assert result.refund.status in DONE_OR_UNDER_WAY
        assert result.charge.amount_refunded == refunded
    rest = refund(adapter, charge, None, currency, "the-rest")
    assert rest.refund.amount == amount - refunded
    assert rest.charge.amount_refunded == amount
    assert harness.refund_amounts(charge) == [*parts, amount - refunded]


def test_full_refund_then_nothing_is_left(harness, adapter):
    require(adapter, Capability.REFUND)
    charge = harness.settled_charge(harness.customer(), 4200, "USD")
    result = refund(adapter, charge, None, "USD", "full")
    assert (result.refund.amount, result.charge.amount_refunded) == (4200, 4200)
    with pytest.raises(GatewayRejected):
        refund(adapter, charge, None, "USD", "full-again")
    assert harness.refund_amounts(charge) == [4200]


def test_over_refund_is_rejected_and_creates_nothing(harness, adapter):
    require(adapter, Capability.REFUND, Capability.PARTIAL_REFUND)
    charge = harness.settled_charge(harness.customer(), 10000, "USD")
    refund(adapter, charge, 7000, "USD", "first")
    with pytest.raises(GatewayRejected):
        refund(adapter, charge, 3001, "USD", "too-much")
    assert harness.refund_amounts(charge) == [7000]
    assert adapter.fetch(ObjectKind.CHARGE, charge).amount_refunded == 7000


def test_refund_replayed_with_the_same_key_refunds_once(harness, adapter):
    require(adapter, Capability.REFUND)
    amount = 1500 if Capability.PARTIAL_REFUND in adapter.capabilities else None
    charge = harness.settled_charge(harness.customer(), 6000, "USD")
    first = refund(adapter, charge, amount, "USD", "run-replayed")
    replay = refund(harness.adapter(), charge, amount, "USD", "run-replayed")
    assert replay.refund.external_id == first.refund.external_id
    assert harness.refund_amounts(charge) == [first.refund.amount]


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_retryable_and_refunds_nothing(harness, adapter, status):
    require(adapter, Capability.REFUND)
    charge = harness.settled_charge(harness.customer(), 3000, "USD")
    harness.fail_next_refund(charge, status=status, after_commit=False)
    with pytest.raises(GatewayUnavailable) as caught:
        refund(adapter, charge, None, "USD", "run-5xx")
    assert caught.value.retryable is True
    assert harness.refund_amounts(charge) == []
    retried = refund(adapter, charge, None, "USD", "run-5xx")
    assert harness.refund_amounts(charge) == [retried.refund.amount] == [3000]


def test_reconcile_finds_a_refund_whose_response_was_lost(harness, adapter):
    require(adapter, Capability.REFUND, Capability.PARTIAL_REFUND)
    charge = harness.settled_charge(harness.customer(), 5000, "USD")
    refund(adapter, charge, 500, "USD", "earlier-run")
    harness.fail_next_refund(charge, status=502, after_commit=True)
    with pytest.raises(GatewayUnavailable):
        refund(adapter, charge, 1234, "USD", "run-lost")
    assert harness.refund_amounts(charge) == [500, 1234]
    assert adapter.reconcile(operation=Operation.REFUND, target_id=charge,
                             idempotency_key="never-sent") is None
    found = harness.adapter().reconcile(operation=Operation.REFUND, target_id=charge,
                                        idempotency_key="run-lost")
    assert isinstance(found, RefundRecord)
    assert (found.amount, found.charge_external_id) == (1234, charge)
    retried = refund(adapter, charge, 1234, "USD", "run-lost")
    assert retried.refund.external_id == found.external_id
    assert harness.refund_amounts(charge) == [500, 1234]


# --- authorizations -------------------------------------------------------------------------------
def test_capture_all_of_an_authorization(harness, adapter):
    require(adapter, Capability.CAPTURE)
    charge = harness.authorization(harness.customer(), 5000, "USD")
    captured = adapter.capture(charge_id=charge, amount=None, idempotency_key="capture-all")
    assert captured.status is ChargeStatus.SUCCEEDED
    assert (captured.amount_captured, captured.amount_capturable) == (5000, 0)
    assert harness.captured_amount(charge) == 5000


def test_capture_part_of_an_authorization(harness, adapter):
    require(adapter, Capability.CAPTURE, Capability.PARTIAL_CAPTURE)
    charge = harness.authorization(harness.customer(), 5000, "USD")
    captured = adapter.capture(charge_id=charge, amount=3000, idempotency_key="capture-part")
    assert captured.status is ChargeStatus.SUCCEEDED
    assert (captured.amount_captured, captured.amount_capturable) == (3000, 0)
    assert harness.captured_amount(charge) == 3000


def test_second_capture_is_rejected(harness, adapter):
    require(adapter, Capability.CAPTURE)
    charge = harness.authorization(harness.customer(), 5000, "USD")
    adapter.capture(charge_id=charge, amount=None, idempotency_key="capture-1")
    again = 1000 if Capability.PARTIAL_CAPTURE in adapter.capabilities else None
    with pytest.raises(GatewayRejected):
        adapter.capture(charge_id=charge, amount=again, idempotency_key="capture-2")
    assert harness.captured_amount(charge) == 5000


def test_void_releases_an_authorization(harness, adapter):
    require(adapter, Capability.VOID)
    charge = harness.authorization(harness.customer(), 2500, "USD")
    voided = adapter.void(charge_id=charge, idempotency_key="void-1")
    assert voided.status is ChargeStatus.CANCELED
    assert (voided.amount_captured, voided.amount_capturable) == (0, 0)
    assert harness.captured_amount(charge) == 0
    if Capability.CAPTURE in adapter.capabilities:
        with pytest.raises(GatewayRejected):
            adapter.capture(charge_id=charge, amount=None, idempotency_key="capture-voided")


# --- subscriptions --------------------------------------------------------------------------------
@pytest.mark.parametrize("prorate, capability", [(False, Capability.CANCEL_NOW),
                                                 (True, Capability.CANCEL_PRORATE)])
def test_cancel_subscription_now(harness, adapter, prorate, capability):
    require(adapter, Capability.CANCEL_NOW, capability)
    subscription = harness.subscription(harness.customer())
    ended = adapter.cancel_subscription(subscription_id=subscription, at_period_end=False,
                                        prorate=prorate, idempotency_key="cancel-now")
    assert (ended.external_id, ended.status in ENDED) == (subscription, True)
    assert adapter.fetch(ObjectKind.SUBSCRIPTION, subscription).status in ENDED


def test_cancel_subscription_at_period_end(harness, adapter):
    require(adapter, Capability.CANCEL_AT_PERIOD_END)
    subscription = harness.subscription(harness.customer())
    ending = adapter.cancel_subscription(subscription_id=subscription, at_period_end=True,
                                         prorate=False, idempotency_key="cancel-later")
    assert ending.cancel_at_period_end is True
    assert ending.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
    assert ending.current_period_end > datetime.now(timezone.utc)
    assert adapter.fetch(ObjectKind.SUBSCRIPTION, subscription).cancel_at_period_end is True


def test_create_subscription_once_per_key(harness, adapter):
    require(adapter, Capability.CREATE_SUBSCRIPTION)
    customer, price = harness.customer(), harness.price()

    def create():
        return harness.adapter().create_subscription(
            customer_id=customer, price_id=price, quantity=1, trial_days=None, coupon=None,
            idempotency_key="subscribe-1")
    created, replay = create(), create()
    assert created.status is SubscriptionStatus.ACTIVE
    assert (created.customer_external_id, created.price_external_id) == (customer, price)
    assert replay.external_id == created.external_id
    assert harness.subscription_ids() == [created.external_id]


def test_create_subscription_with_a_trial(harness, adapter):
    require(adapter, Capability.CREATE_SUBSCRIPTION, Capability.SUBSCRIPTION_TRIAL)
    created = adapter.create_subscription(
        customer_id=harness.customer(), price_id=harness.price(), quantity=1, trial_days=14,
        coupon=None, idempotency_key="subscribe-trial")
    assert created.status is SubscriptionStatus.TRIALING
    now = datetime.now(timezone.utc)
    assert now + timedelta(days=13) < created.trial_end < now + timedelta(days=16)


def test_apply_coupon_to_a_subscription(harness, adapter):
    require(adapter, Capability.COUPON_ON_SUBSCRIPTION)
    subscription, code = harness.subscription(harness.customer()), harness.coupon()
    discounted = adapter.apply_coupon(target_kind=ObjectKind.SUBSCRIPTION, target_id=subscription,
                                      code=code, idempotency_key="coupon-sub")
    assert code in discounted.discount_codes
    assert code in adapter.fetch(ObjectKind.SUBSCRIPTION, subscription).discount_codes


def test_apply_coupon_to_a_customer(harness, adapter):
    require(adapter, Capability.COUPON_ON_CUSTOMER)
    customer, code = harness.customer(), harness.coupon()
    harness.subscription(customer)  # some gateways discount the customer's live subscriptions
    result = adapter.apply_coupon(target_kind=ObjectKind.CUSTOMER, target_id=customer, code=code,
                                  idempotency_key="coupon-customer")
    assert isinstance(result, CustomerRecord) and result.external_id == customer
    assert harness.customer_has_coupon(customer, code)


# --- invoices and tax ids -------------------------------------------------------------------------
def test_create_a_draft_invoice(harness, adapter):
    require(adapter, Capability.CREATE_INVOICE)
    customer = harness.customer()
    lines = (InvoiceLineRecord("Setup", 1500), InvoiceLineRecord("Support", 2500))
    draft = adapter.create_invoice(customer_id=customer, currency="USD", lines=lines,
                                   days_until_due=14, idempotency_key="invoice-1")
    assert (draft.status, draft.customer_external_id, draft.currency) == (
        InvoiceStatus.DRAFT, customer, "USD")
    assert (draft.subtotal, draft.total) == (4000, 4000)
    assert sorted(line.amount for line in draft.lines) == [1500, 2500]


def test_send_an_invoice(harness, adapter):
    require(adapter, Capability.SEND_INVOICE)
    invoice = harness.sendable_invoice(harness.customer())
    sent = adapter.send_invoice(invoice_id=invoice, idempotency_key="send-1")
    assert sent.external_id == invoice
    assert sent.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
    assert harness.invoice_was_sent(invoice)


def test_add_a_tax_id(harness, adapter):
    require(adapter, Capability.TAX_IDS)
    customer, (kind, value) = harness.customer(), harness.tax_id
    added = adapter.add_tax_id(customer_id=customer, type=kind, value=value,
                               idempotency_key="tax-id-1")
    assert (added.customer_external_id, added.type, added.value) == (customer, kind, value)
    assert harness.tax_id_values(customer) == [value]
    if ObjectKind.TAX_ID in adapter.syncable_kinds:
        listed, _pages = walk(adapter, ObjectKind.TAX_ID)
        assert [(t.customer_external_id, t.value) for t in listed] == [(customer, value)]


# --- webhooks -------------------------------------------------------------------------------------
def test_signed_webhook_verifies_and_yields_the_charge(harness, adapter):
    require(adapter, Capability.WEBHOOKS)
    charge = harness.settled_charge(harness.customer(), 2000, "USD")
    delivery = harness.signed_webhook(charge)
    verified = adapter.parse_webhook(headers=delivery.headers, body=delivery.body)
    assert verified.event_id
    stored = harness.adapter().parse_webhook(headers={}, body=delivery.body, verify=False)
    assert stored.event_id == verified.event_id
    records = (*stored.records, *harness.adapter().hydrate_event(stored))
    charges = [r for r in records if isinstance(r, ChargeRecord) and r.external_id == charge]
    assert charges and all(c.amount == 2000 and c.currency == "USD" for c in charges)


def test_tampered_webhook_is_refused(harness, adapter):
    require(adapter, Capability.WEBHOOKS)
    charge = harness.settled_charge(harness.customer(), 2000, "USD")
    tampered = harness.tampered_webhook(charge)
    assert tampered.body != harness.signed_webhook(charge).body
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=tampered.headers, body=tampered.body)


def test_stale_webhook_is_refused_but_a_stored_one_still_parses(harness, adapter):
    require(adapter, Capability.WEBHOOKS)
    if harness.no_stale_webhook_reason:
        pytest.skip(harness.no_stale_webhook_reason)
    stale = harness.stale_webhook(harness.settled_charge(harness.customer(), 2000, "USD"))
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=stale.headers, body=stale.body)
    assert adapter.parse_webhook(headers=stale.headers, body=stale.body, verify=False).event_id


# --- statuses the mapper does not know ------------------------------------------------------------
def arrange_with_status(harness, kind: ObjectKind) -> str:
    customer = harness.customer()
    if kind is ObjectKind.CHARGE:
        return harness.settled_charge(customer, 1000, "USD")
    return harness.subscription(customer)


@pytest.mark.parametrize("kind", [ObjectKind.CHARGE, ObjectKind.SUBSCRIPTION])
def test_unlisted_vendor_status_maps_to_unknown(harness, adapter, kind):
    if kind not in adapter.syncable_kinds:
        pytest.skip(f"{adapter.name} has no {kind.value} objects")
    external_id = arrange_with_status(harness, kind)
    raw = harness.force_unlisted_status(kind, external_id)
    fetched = adapter.fetch(kind, external_id)
    assert (fetched.status.value, fetched.raw_status) == ("unknown", raw)
    listed = [r for r in walk(adapter, kind, limit=100)[0] if r.external_id == external_id]
    assert [(r.status.value, r.raw_status) for r in listed] == [("unknown", raw)]

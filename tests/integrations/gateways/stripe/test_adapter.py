"""StripeAdapter against the loopback Stripe sandbox, through the real SDK: payments and reading.

Billing (subscriptions, invoices, coupons) is in test_adapter_billing.py.
"""
from __future__ import annotations

import pytest

from backend.integrations.gateways.contract import Capability, GatewayAdapter, GatewayConfig, Operation
from backend.integrations.gateways.errors import (
    GatewayAuthError, GatewayNotFound, GatewayRateLimited, GatewayRejected, GatewayUnavailable,
)
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, DisputeRecord, DisputeStatus, ObjectKind,
    RefundRecord, RefundStatus,
)
from backend.integrations.gateways.stripe.adapter import StripeAdapter
from backend.integrations.gateways.stripe.client import translated_errors

pytestmark = pytest.mark.usefixtures("fresh_sandbox")


def test_adapter_satisfies_the_contract(adapter):
    assert isinstance(adapter, GatewayAdapter)
    assert adapter.name == "stripe" and adapter.capabilities == frozenset(Capability)
    assert [option.name for option in adapter.connect_options] == ["api_key"]
    assert adapter.webhook_secret_required is False
    assert set(adapter.syncable_kinds) == set(ObjectKind)


# --- refunds ---------------------------------------------------------------------------------
def test_full_refund(adapter, make):
    charge_id = make.paid_charge(2500, "usd")
    result = adapter.refund(charge_id=charge_id, amount=None, currency="USD", reason="duplicate",
                            note="customer paid twice", idempotency_key="run-full")
    assert isinstance(result.refund, RefundRecord)
    assert (result.refund.amount, result.refund.currency, result.refund.status) == (
        2500, "USD", RefundStatus.SUCCEEDED)
    assert result.refund.reason == "duplicate"
    assert result.refund.metadata == {"chargedesk_key": "run-full", "note": "customer paid twice"}
    assert (result.charge.external_id, result.charge.amount_refunded) == (charge_id, 2500)


def test_partial_refund_with_our_own_reason(adapter, make):
    charge_id = make.paid_charge(2000, "usd")
    result = adapter.refund(charge_id=charge_id, amount=700, currency="usd", reason="goodwill",
                            note=None, idempotency_key="run-part")
    assert result.refund.amount == 700 and result.refund.reason is None
    assert result.refund.metadata == {"chargedesk_key": "run-part", "reason": "goodwill"}
    assert result.charge.amount_refunded == 700 and result.charge.status is ChargeStatus.SUCCEEDED


def test_over_refund_is_rejected(adapter, make, sandbox):
    charge_id = make.paid_charge(1000, "usd")
    adapter.refund(charge_id=charge_id, amount=600, currency="USD", reason=None, note=None,
                   idempotency_key="run-1")
    with pytest.raises(GatewayRejected) as caught:
        adapter.refund(charge_id=charge_id, amount=500, currency="USD", reason=None, note=None,
                       idempotency_key="run-2")
    assert caught.value.code == "amount_too_large" and caught.value.http_status == 400
    assert "greater than" in caught.value.message
    assert [r["amount"] for r in make.refunds_of(charge_id)] == [600]


def test_refund_in_another_currency_is_rejected_before_calling_stripe(adapter, make, sandbox):
    charge_id = make.paid_charge(1000, "usd")
    with pytest.raises(GatewayRejected) as caught:
        adapter.refund(charge_id=charge_id, amount=100, currency="EUR", reason=None, note=None,
                       idempotency_key="run-eur")
    assert caught.value.code == "currency_mismatch" and "USD" in caught.value.message
    assert make.posts_to("/v1/refunds") == []


def test_idempotent_replay_returns_the_same_refund(adapter, make, sandbox):
    charge_id = make.paid_charge(1000, "usd")
    first = adapter.refund(charge_id=charge_id, amount=300, currency="USD", reason=None, note="n",
                           idempotency_key="run-same")
    again = adapter.refund(charge_id=charge_id, amount=300, currency="USD", reason=None, note="n",
                           idempotency_key="run-same")
    assert again.refund.external_id == first.refund.external_id
    assert [r["id"] for r in make.refunds_of(charge_id)] == [first.refund.external_id]
    assert again.charge.amount_refunded == 300
    assert make.posts_to("/v1/refunds") == ["run-same", "run-same"]


def test_server_error_is_retryable_and_the_retry_refunds_once(adapter, make, sandbox):
    charge_id = make.paid_charge(1000, "usd")
    sandbox.fail_next(1, status=500, path_prefix="/v1/refunds")
    with pytest.raises(GatewayUnavailable) as caught:
        adapter.refund(charge_id=charge_id, amount=None, currency="USD", reason=None, note=None,
                       idempotency_key="run-500")
    assert caught.value.retryable and caught.value.http_status == 500
    assert make.refunds_of(charge_id) == []
    result = adapter.refund(charge_id=charge_id, amount=None, currency="USD", reason=None,
                            note=None, idempotency_key="run-500")
    assert [r["id"] for r in make.refunds_of(charge_id)] == [result.refund.external_id]


def test_reconcile_finds_a_refund_whose_response_was_lost(adapter, make, sandbox):
    charge_id = make.paid_charge(1000, "usd")
    adapter.refund(charge_id=charge_id, amount=100, currency="USD", reason=None, note=None,
                   idempotency_key="run-other")
    sandbox.fail_next(1, status=500, path_prefix="/v1/refunds", after_commit=True)
    with pytest.raises(GatewayUnavailable):
        adapter.refund(charge_id=charge_id, amount=400, currency="USD", reason=None, note=None,
                       idempotency_key="run-lost")
    found = adapter.reconcile(operation=Operation.REFUND, target_id=charge_id,
                              idempotency_key="run-lost")
    assert isinstance(found, RefundRecord)
    assert (found.amount, found.metadata["chargedesk_key"]) == (400, "run-lost")
    assert adapter.reconcile(operation=Operation.REFUND, target_id=charge_id,
                             idempotency_key="run-never") is None
    retried = adapter.refund(charge_id=charge_id, amount=400, currency="USD", reason=None,
                             note=None, idempotency_key="run-lost")
    assert retried.refund.external_id == found.external_id
    assert sorted(r["amount"] for r in make.refunds_of(charge_id)) == [100, 400]


def test_rate_limit_is_retryable(adapter, make, sandbox):
    charge_id = make.paid_charge(1000, "usd")
    sandbox.fail_next(1, status=429, path_prefix="/v1/charges")
    with pytest.raises(GatewayRateLimited) as caught:
        adapter.fetch(ObjectKind.CHARGE, charge_id)
    assert caught.value.retryable and caught.value.http_status == 429


def test_unknown_charge_is_not_found(adapter):
    with pytest.raises(GatewayNotFound) as caught:
        adapter.refund(charge_id="ch_doesnotexist", amount=None, currency="USD", reason=None,
                       note=None, idempotency_key="run-404")
    assert caught.value.code == "resource_missing" and caught.value.http_status == 404
    assert not caught.value.retryable


def test_bad_api_key_is_an_auth_error(sandbox):
    config = GatewayConfig("conn_bad", {"api_key": "pk_test_not_a_secret"}, api_base=sandbox.url)
    with pytest.raises(GatewayAuthError) as caught:
        StripeAdapter(config).list_page(ObjectKind.CHARGE, cursor=None)
    assert caught.value.http_status == 401


def test_card_decline_maps_to_rejected_with_stripes_message(stripe_client):
    with pytest.raises(GatewayRejected) as caught, translated_errors():
        stripe_client.v1.payment_intents.create({
            "amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
            "confirm": True, "payment_method_types": ["card"]})
    assert caught.value.code == "card_declined" and caught.value.http_status == 402
    assert caught.value.message == "Your card was declined."


# --- capture and void ------------------------------------------------------------------------
def test_partial_capture_of_a_payment_intent(adapter, make):
    charge_id = make.authorized_charge(1000, "usd")
    before = adapter.fetch(ObjectKind.CHARGE, charge_id)
    assert (before.status, before.amount_capturable) == (ChargeStatus.AUTHORIZED, 1000)
    captured = adapter.capture(charge_id=charge_id, amount=600, idempotency_key="run-cap")
    assert captured.status is ChargeStatus.SUCCEEDED
    assert (captured.amount_captured, captured.amount_capturable) == (600, 0)
    assert adapter.reconcile(operation=Operation.CAPTURE, target_id=charge_id,
                             idempotency_key="run-cap") == captured


def test_double_capture_is_rejected(adapter, make):
    charge_id = make.authorized_charge(1000, "usd")
    adapter.capture(charge_id=charge_id, amount=None, idempotency_key="run-cap-1")
    with pytest.raises(GatewayRejected) as caught:
        adapter.capture(charge_id=charge_id, amount=None, idempotency_key="run-cap-2")
    assert caught.value.http_status == 400 and caught.value.code


def test_capture_of_a_legacy_charge(adapter, make):
    charge_id = make.legacy_charge(1500, "usd", capture=False)
    captured = adapter.capture(charge_id=charge_id, amount=None, idempotency_key="run-legacy")
    assert (captured.status, captured.amount_captured) == (ChargeStatus.SUCCEEDED, 1500)


def test_void_cancels_the_payment_intent(adapter, make):
    charge_id = make.authorized_charge(1000, "usd")
    assert adapter.reconcile(operation=Operation.VOID, target_id=charge_id,
                             idempotency_key="run-void") is None
    voided = adapter.void(charge_id=charge_id, idempotency_key="run-void")
    assert (voided.status, voided.amount_capturable, voided.amount_captured) == (
        ChargeStatus.CANCELED, 0, 0)
    assert adapter.reconcile(operation=Operation.VOID, target_id=charge_id,
                             idempotency_key="run-void") == voided
    assert adapter.reconcile(operation=Operation.CAPTURE, target_id=charge_id,
                             idempotency_key="run-void") is None


def test_void_of_an_uncaptured_legacy_charge_refunds_it(adapter, make):
    charge_id = make.legacy_charge(1000, "usd", capture=False)
    voided = adapter.void(charge_id=charge_id, idempotency_key="run-void-legacy")
    # The released hold is not money given back out of a capture: amount_refunded stays 0.
    assert (voided.status, voided.amount_refunded, voided.amount_capturable) == (
        ChargeStatus.CANCELED, 0, 0)
    assert [r["metadata"] for r in make.refunds_of(charge_id)] == [{"chargedesk_key": "run-void-legacy"}]


def test_void_of_a_captured_legacy_charge_is_rejected(adapter, make, sandbox):
    charge_id = make.legacy_charge(1000, "usd", capture=True)
    with pytest.raises(GatewayRejected) as caught:
        adapter.void(charge_id=charge_id, idempotency_key="run-void-late")
    assert caught.value.code == "charge_already_captured"
    assert make.refunds_of(charge_id) == []


# --- currencies ------------------------------------------------------------------------------
@pytest.mark.parametrize("currency, amount, refund", [("jpy", 500, 200), ("kwd", 1250, 250)])
def test_zero_and_three_decimal_amounts_are_exact(adapter, make, currency, amount, refund):
    charge_id = make.paid_charge(amount, currency)
    charge = adapter.fetch(ObjectKind.CHARGE, charge_id)
    assert (charge.amount, charge.currency) == (amount, currency.upper())
    result = adapter.refund(charge_id=charge_id, amount=refund, currency=currency.upper(),
                            reason=None, note=None, idempotency_key=f"run-{currency}")
    assert (result.refund.amount, result.refund.currency) == (refund, currency.upper())
    assert result.charge.amount_refunded == refund


# --- reading ---------------------------------------------------------------------------------
def test_charges_paginate_over_several_pages(adapter, sandbox):
    seeded = sandbox.seed_charges(None, 5, amount=1200)
    pages, cursor = [], None
    while True:
        page = adapter.list_page(ObjectKind.CHARGE, cursor=cursor, limit=2)
        pages.append([record.external_id for record in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(ids) for ids in pages] == [2, 2, 1]
    assert sorted(sum(pages, [])) == sorted(seeded)
    assert all(isinstance(r, ChargeRecord) for r in adapter.list_page(ObjectKind.CHARGE, cursor=None).items)


def test_customers_list_and_fetch(adapter, make):
    ids = [make.customer(f"Person{n}@Example.com") for n in range(3)]
    page = adapter.list_page(ObjectKind.CUSTOMER, cursor=None, limit=10)
    assert page.next_cursor is None and sorted(r.external_id for r in page.items) == sorted(ids)
    record = adapter.fetch(ObjectKind.CUSTOMER, ids[1])
    assert isinstance(record, CustomerRecord) and record.email == "person1@example.com"


def test_deleted_customer_is_not_found(adapter, make, stripe_client):
    customer_id = make.customer("gone@example.com")
    stripe_client.v1.customers.delete(customer_id)
    with pytest.raises(GatewayNotFound):
        adapter.fetch(ObjectKind.CUSTOMER, customer_id)


def test_refunds_and_disputes_are_listed(adapter, make, sandbox):
    refunded, disputed = make.paid_charge(1000, "usd"), make.paid_charge(3000, "usd")
    adapter.refund(charge_id=refunded, amount=100, currency="USD", reason=None, note=None,
                   idempotency_key="run-r")
    dispute = sandbox.open_dispute(disputed, reason="fraudulent")
    (refund,) = adapter.list_page(ObjectKind.REFUND, cursor=None).items
    assert (refund.charge_external_id, refund.amount) == (refunded, 100)
    (listed,) = adapter.list_page(ObjectKind.DISPUTE, cursor=None).items
    fetched = adapter.fetch(ObjectKind.DISPUTE, dispute["id"])
    assert isinstance(fetched, DisputeRecord) and listed == fetched
    assert (fetched.charge_external_id, fetched.amount, fetched.status) == (
        disputed, 3000, DisputeStatus.NEEDS_RESPONSE)


def test_every_post_carries_our_idempotency_key(adapter, make, sandbox):
    charge_id = make.authorized_charge(1000, "usd")
    start = len(sandbox.request_log)
    adapter.capture(charge_id=charge_id, amount=None, idempotency_key="run-keys")
    adapter.refund(charge_id=charge_id, amount=100, currency="USD", reason=None, note=None,
                   idempotency_key="run-keys-2")
    ours = [entry for entry in sandbox.request_log[start:] if entry[0] == "POST"]
    assert [key for _method, _path, key in ours] == ["run-keys", "run-keys-2"]


def test_refund_is_two_calls_and_returns_the_charge_it_left(adapter, make, sandbox):
    """The charge comes back expanded on the refund: no third call to re-read it."""
    charge_id = make.paid_charge(2000, "usd")
    start = len(sandbox.request_log)
    result = adapter.refund(charge_id=charge_id, amount=500, currency="USD", reason=None, note=None,
                            idempotency_key="run-two-calls")
    assert [(method, path) for method, path, _key in sandbox.request_log[start:]] == [
        ("GET", f"/v1/charges/{charge_id}"), ("POST", "/v1/refunds")]
    assert (result.charge.external_id, result.charge.amount_refunded) == (charge_id, 500)
    assert result.refund.charge_external_id == charge_id


def test_a_replayed_refund_reports_the_charge_as_it_is_now(adapter, make, sandbox):
    """A replay carries the charge as the first response had it; the adapter re-reads it instead."""
    charge_id = make.paid_charge(1000, "usd")
    adapter.refund(charge_id=charge_id, amount=300, currency="USD", reason=None, note=None,
                   idempotency_key="run-early")
    adapter.refund(charge_id=charge_id, amount=200, currency="USD", reason=None, note=None,
                   idempotency_key="run-later")
    replay = adapter.refund(charge_id=charge_id, amount=300, currency="USD", reason=None, note=None,
                            idempotency_key="run-early")
    assert replay.refund.amount == 300 and replay.charge.amount_refunded == 500
    assert sorted(r["amount"] for r in make.refunds_of(charge_id)) == [200, 300]

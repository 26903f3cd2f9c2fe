"""Mappers against Stripe's own example objects (fixtures3.json), fed through the real SDK."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import stripe

from backend.integrations.gateways.records import (
    ChargeStatus, DisputeStatus, InvoiceStatus, RefundStatus, SubscriptionStatus,
)
from backend.integrations.gateways.stripe import mappers

FIXTURE_CREATED = datetime(2009, 2, 13, 23, 31, 30, tzinfo=timezone.utc)  # 1234567890


# --- charges ---------------------------------------------------------------------------------
def test_uncaptured_fixture_charge_is_an_authorization(sdk_object):
    record = mappers.map_charge(sdk_object("charge", stripe.Charge))
    assert record.external_id == "ch_1PgafuB7WZ01zgkWXYmPNZs8"
    assert record.status is ChargeStatus.AUTHORIZED and record.raw_status == "succeeded"
    assert (record.amount, record.currency, record.amount_capturable) == (100, "USD", 100)
    assert (record.amount_captured, record.amount_refunded) == (0, 0)
    assert (record.card_brand, record.card_last4) == ("visa", "4242")
    assert record.customer_external_id is None
    assert record.description == "My First Test Charge (created for API docs)"
    assert record.created_at == FIXTURE_CREATED


def test_captured_partly_refunded_charge(sdk_object):
    charge = sdk_object("charge", stripe.Charge, captured=True, amount_captured=100,
                        amount_refunded=40, customer={"id": "cus_9", "object": "customer"})
    record = mappers.map_charge(charge)
    assert record.status is ChargeStatus.SUCCEEDED
    assert (record.amount_captured, record.amount_refunded, record.amount_capturable) == (100, 40, 0)
    assert record.customer_external_id == "cus_9"  # expanded customer accepted


@pytest.mark.parametrize("fields, expected", [
    ({"status": "succeeded", "captured": True, "refunded": False}, ChargeStatus.SUCCEEDED),
    ({"status": "succeeded", "captured": True, "refunded": True}, ChargeStatus.SUCCEEDED),
    ({"status": "succeeded", "captured": False, "refunded": False}, ChargeStatus.AUTHORIZED),
    ({"status": "succeeded", "captured": False, "refunded": True}, ChargeStatus.CANCELED),
    ({"status": "failed", "captured": False, "refunded": False}, ChargeStatus.FAILED),
    ({"status": "pending", "captured": True, "refunded": False}, ChargeStatus.PENDING),
    ({"status": "reversed_somehow", "captured": True, "refunded": False}, ChargeStatus.UNKNOWN),
    ({"status": None, "captured": True, "refunded": False}, ChargeStatus.UNKNOWN),
])
def test_charge_status_table(sdk_object, fields, expected):
    record = mappers.map_charge(sdk_object("charge", stripe.Charge, **fields))
    assert record.status is expected
    assert record.amount_capturable == (100 if expected is ChargeStatus.AUTHORIZED else 0)


def test_failed_charge_keeps_failure_message(sdk_object):
    charge = sdk_object("charge", stripe.Charge, status="failed", paid=False,
                        failure_message="Your card was declined.")
    assert mappers.map_charge(charge).failure_message == "Your card was declined."


# --- refunds ---------------------------------------------------------------------------------
def test_refund_keeps_metadata(sdk_object):
    refund = sdk_object("refund", stripe.Refund, metadata={"chargedesk_key": "run-1", "note": "hi"},
                        reason="requested_by_customer")
    record = mappers.map_refund(refund)
    assert (record.external_id, record.charge_external_id) == (
        "re_1Pgc72B7WZ01zgkWqPvrRrPE", "ch_1PgafuB7WZ01zgkWXYmPNZs8")
    assert (record.amount, record.currency, record.status) == (100, "USD", RefundStatus.SUCCEEDED)
    assert record.metadata == {"chargedesk_key": "run-1", "note": "hi"}
    assert record.reason == "requested_by_customer"


@pytest.mark.parametrize("raw, expected", [
    ("pending", RefundStatus.PENDING), ("requires_action", RefundStatus.PENDING),
    ("succeeded", RefundStatus.SUCCEEDED), ("failed", RefundStatus.FAILED),
    ("canceled", RefundStatus.CANCELED), ("mystery", RefundStatus.UNKNOWN),
])
def test_refund_status_table(sdk_object, raw, expected):
    assert mappers.map_refund(sdk_object("refund", stripe.Refund, status=raw)).status is expected


# --- customers and tax ids -------------------------------------------------------------------
def test_customer_email_is_lower_cased(sdk_object):
    record = mappers.map_customer(sdk_object("customer", stripe.Customer,
                                             email=" Jenny.Rosen@Example.COM", name="Jenny Rosen"))
    assert (record.external_id, record.email, record.name) == (
        "cus_QXg1o8vcGmoR32", "jenny.rosen@example.com", "Jenny Rosen")
    assert record.emails == ("jenny.rosen@example.com",)
    assert record.currency == "USD"


def test_customer_without_email(sdk_object):
    record = mappers.map_customer(sdk_object("customer", stripe.Customer))
    assert (record.email, record.emails) == (None, ())


def test_tax_id(sdk_object):
    record = mappers.map_tax_id(sdk_object("tax_id", stripe.TaxId))
    assert (record.external_id, record.customer_external_id) == (
        "txi_1Pgc6sB7WZ01zgkWXkvC78jZ", "cus_QXg1o8vcGmoR32")
    assert (record.type, record.value, record.country) == ("eu_vat", "DE123456789", "DE")
    assert record.verification_status == "pending"


def test_tax_id_owner_only(sdk_object):
    record = mappers.map_tax_id(sdk_object("tax_id", stripe.TaxId, customer=None,
                                           owner={"type": "customer", "customer": "cus_owner"}))
    assert record.customer_external_id == "cus_owner"


# --- subscriptions ---------------------------------------------------------------------------
def test_fixture_subscription(sdk_object):
    record = mappers.map_subscription(sdk_object("subscription", stripe.Subscription))
    assert (record.external_id, record.customer_external_id) == (
        "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw", "cus_QXg1o8vcGmoR32")
    assert record.status is SubscriptionStatus.ACTIVE
    assert record.price_external_id == "price_1PgafmB7WZ01zgkW6dKueIc5"
    assert record.plan_name == "price_1PgafmB7WZ01zgkW6dKueIc5"  # no nickname, product not expanded
    assert (record.amount, record.currency, record.interval, record.quantity) == (2000, "USD", "month", 1)
    assert record.current_period_end == datetime.fromtimestamp(976287773, tz=timezone.utc)
    assert record.cancel_at_period_end is True
    assert record.canceled_at == record.trial_end == FIXTURE_CREATED
    assert record.discount_codes == ()


def _subscription_with(fixtures3, *, price=None, **fields) -> dict:
    subscription = {**fixtures3["subscription"], **fields}
    item = {**subscription["items"]["data"][0], **({"price": price} if price else {})}
    subscription["items"] = {**subscription["items"], "data": [item]}
    return subscription


def test_plan_name_prefers_nickname_then_product_name(fixtures3):
    price = fixtures3["price"]
    with_product = _subscription_with(fixtures3, price={**price, "product": fixtures3["product"]})
    with_nickname = _subscription_with(fixtures3, price={**price, "nickname": "Pro monthly"})
    assert mappers.map_subscription(with_product).plan_name == "T-shirt"
    assert mappers.map_subscription(with_nickname).plan_name == "Pro monthly"


def test_cancel_at_alone_means_cancel_at_period_end(fixtures3):
    pending = _subscription_with(fixtures3, cancel_at_period_end=False, cancel_at=1900000000)
    running = _subscription_with(fixtures3, cancel_at_period_end=False, cancel_at=None)
    assert mappers.map_subscription(pending).cancel_at_period_end is True
    assert mappers.map_subscription(running).cancel_at_period_end is False


def test_subscription_discount_codes(fixtures3):
    promo = {**fixtures3["discount"], "promotion_code": {**fixtures3["promotion_code"]}}
    coupon = {**fixtures3["discount"], "id": "di_2", "source": {"type": "coupon", "coupon": "SAVE20"}}
    subscription = _subscription_with(fixtures3, discounts=[promo, coupon, "di_unexpanded"])
    assert mappers.map_subscription(subscription).discount_codes == ("FALL20", "SAVE20", "di_unexpanded")


@pytest.mark.parametrize("raw, expected", [
    ("trialing", SubscriptionStatus.TRIALING), ("active", SubscriptionStatus.ACTIVE),
    ("past_due", SubscriptionStatus.PAST_DUE), ("unpaid", SubscriptionStatus.PAST_DUE),
    ("paused", SubscriptionStatus.PAUSED), ("incomplete", SubscriptionStatus.INCOMPLETE),
    ("incomplete_expired", SubscriptionStatus.EXPIRED), ("canceled", SubscriptionStatus.CANCELED),
    ("frozen", SubscriptionStatus.UNKNOWN),
])
def test_subscription_status_table(sdk_object, raw, expected):
    subscription = sdk_object("subscription", stripe.Subscription, status=raw)
    assert mappers.map_subscription(subscription).status is expected


# --- invoices --------------------------------------------------------------------------------
def test_fixture_invoice(sdk_object, fixtures3):
    record = mappers.map_invoice(sdk_object("invoice", stripe.Invoice))
    assert (record.external_id, record.customer_external_id) == (
        "in_1Pgc6tB7WZ01zgkWu9fdqL6I", "cus_QXg1o8vcGmoR32")
    assert record.status is InvoiceStatus.DRAFT and record.currency == "USD"
    assert (record.subtotal, record.total, record.amount_due, record.amount_paid) == (1000, 1000, 1000, 0)
    assert (record.tax, record.tax_lines) == (0, ())
    assert [(line.external_id, line.amount, line.quantity) for line in record.lines] == [
        ("il_1Pgc6sB7WZ01zgkWFnxLrLCq", 1000, 1)]
    assert record.lines[0].description == "My First Invoice Item (created for API docs)"
    assert record.due_at == FIXTURE_CREATED
    expected_subscription = fixtures3["invoice"]["parent"]["subscription_details"]["subscription"]
    assert record.subscription_external_id == expected_subscription


def test_invoice_total_taxes_with_reverse_charge(sdk_object, fixtures3):
    taxes = [
        {"amount": 190, "tax_behavior": "exclusive", "taxability_reason": "standard_rated",
         "taxable_amount": 1000, "type": "tax_rate_details",
         "tax_rate_details": {"tax_rate": fixtures3["tax_rate"]}},
        {"amount": 0, "tax_behavior": "exclusive", "taxability_reason": "reverse_charge",
         "taxable_amount": 500, "type": "tax_rate_details",
         "tax_rate_details": {"tax_rate": "txr_unexpanded"}},
    ]
    record = mappers.map_invoice(sdk_object("invoice", stripe.Invoice, total_taxes=taxes,
                                            number="7FE1103-0001", status="open",
                                            hosted_invoice_url="https://invoice.stripe.com/i/x"))
    assert record.tax == 190 and record.status is InvoiceStatus.OPEN
    vat, reverse = record.tax_lines
    assert (vat.name, vat.rate_percent, vat.amount, vat.jurisdiction, vat.reverse_charge) == (
        "VAT", "19", 190, "DE", False)
    assert (reverse.name, reverse.amount, reverse.reverse_charge) == (None, 0, True)
    assert (record.number, record.hosted_url) == ("7FE1103-0001", "https://invoice.stripe.com/i/x")


def test_invoice_pre_basil_shape(fixtures3):
    invoice = {**fixtures3["invoice"], "parent": None, "subscription": "sub_old", "charge": "ch_old",
               "tax": 250, "total_tax_amounts": [
                   {"amount": 250, "inclusive": False, "tax_rate": "txr_1",
                    "taxability_reason": "reverse_charge", "taxable_amount": 1000}]}
    record = mappers.map_invoice(invoice)
    assert (record.subscription_external_id, record.charge_external_id) == ("sub_old", "ch_old")
    assert record.tax == 250 and record.tax_lines[0].reverse_charge is True


def test_invoice_charge_from_payments(fixtures3):
    payment = {**fixtures3["invoice_payment"], "payment": {"type": "charge", "charge": "ch_paid"}}
    invoice = {**fixtures3["invoice"], "payments": {"object": "list", "data": [payment]}}
    assert mappers.map_invoice(invoice).charge_external_id == "ch_paid"


@pytest.mark.parametrize("raw, expected", [
    ("draft", InvoiceStatus.DRAFT), ("open", InvoiceStatus.OPEN), ("paid", InvoiceStatus.PAID),
    ("void", InvoiceStatus.VOID), ("uncollectible", InvoiceStatus.UNCOLLECTIBLE),
    ("deleted", InvoiceStatus.UNKNOWN), (None, InvoiceStatus.UNKNOWN),
])
def test_invoice_status_table(sdk_object, raw, expected):
    assert mappers.map_invoice(sdk_object("invoice", stripe.Invoice, status=raw)).status is expected


# --- disputes --------------------------------------------------------------------------------
def test_fixture_dispute(sdk_object):
    record = mappers.map_dispute(sdk_object("dispute", stripe.Dispute))
    assert (record.external_id, record.charge_external_id) == (
        "dp_1Pgc71B7WZ01zgkWMevJiAUx", "ch_1PgafuB7WZ01zgkWXYmPNZs8")
    assert (record.amount, record.currency, record.reason) == (1000, "USD", "general")
    assert record.status is DisputeStatus.NEEDS_RESPONSE
    assert record.evidence_due_by == datetime.fromtimestamp(1723679999, tz=timezone.utc)


@pytest.mark.parametrize("raw, expected", [
    ("warning_needs_response", DisputeStatus.NEEDS_RESPONSE),
    ("needs_response", DisputeStatus.NEEDS_RESPONSE),
    ("warning_under_review", DisputeStatus.UNDER_REVIEW),
    ("under_review", DisputeStatus.UNDER_REVIEW), ("warning_closed", DisputeStatus.WON),
    ("won", DisputeStatus.WON), ("lost", DisputeStatus.LOST), ("prevented", DisputeStatus.UNKNOWN),
])
def test_dispute_status_table(sdk_object, raw, expected):
    assert mappers.map_dispute(sdk_object("dispute", stripe.Dispute, status=raw)).status is expected


# --- money at the edge -----------------------------------------------------------------------
@pytest.mark.parametrize("currency, stripe_amount, ours", [
    ("jpy", 500, 500), ("kwd", 1250, 1250), ("usd", 1099, 1099), ("isk", 50000, 500),
])
def test_amount_conversion(currency, stripe_amount, ours):
    assert mappers.stripe_to_minor(stripe_amount, currency) == ours
    assert mappers.minor_to_stripe(ours, currency) == stripe_amount


def test_isk_charge_amounts_are_whole_kronur(sdk_object):
    record = mappers.map_charge(sdk_object("charge", stripe.Charge, currency="isk", amount=50000,
                                           captured=True, amount_captured=50000))
    assert (record.amount, record.amount_captured, record.currency) == (500, 500, "ISK")


def test_released_rest_of_a_partial_capture_is_not_a_refund():
    """Stripe puts the uncaptured 2000 of a 3000-of-5000 capture in amount_refunded; we must not,
    or the sidebar would offer 1000 back instead of the 3000 really refundable."""
    base = {"id": "ch_pc", "object": "charge", "currency": "usd", "amount": 5000, "status": "succeeded"}
    partial = mappers.map_charge({**base, "captured": True, "amount_captured": 3000, "amount_refunded": 2000,
                                  "refunded": False})
    assert (partial.amount_captured, partial.amount_refunded) == (3000, 0)
    refunded = mappers.map_charge({**base, "captured": True, "amount_captured": 3000, "amount_refunded": 2500,
                                   "refunded": False})
    assert refunded.amount_refunded == 500
    voided = mappers.map_charge({**base, "captured": False, "amount_captured": 0, "amount_refunded": 5000,
                                 "refunded": True})
    assert (voided.status.value, voided.amount_refunded) == ("canceled", 0)
    held = mappers.map_charge({**base, "captured": False, "amount_captured": 0, "amount_refunded": 0,
                               "refunded": False})
    assert (held.status.value, held.amount_refunded, held.amount_capturable) == ("authorized", 0, 5000)

"""Products, prices, coupons, promotion codes, subscriptions, invoices, tax rates, tax IDs, disputes."""
from __future__ import annotations

import pytest
import stripe

from .test_sandbox_support import client, customer, paid_charge, running_sandbox, sandbox  # noqa: F401


@pytest.fixture
def monthly_price(client):
    product = client.v1.products.create({"name": "Pro plan"})
    return client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 2000,
                                    "recurring": {"interval": "month"}})


def test_subscription_create_pays_first_invoice(client, customer, monthly_price):
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly_price.id, "quantity": 2}],
                                          "expand": ["latest_invoice"]})
    assert sub.status == "active" and sub.customer == customer.id
    item = sub.items.data[0]
    assert item.price.id == monthly_price.id and item.quantity == 2 and item.price.unit_amount == 2000
    assert 28 * 86400 <= item.current_period_end - item.current_period_start <= 31 * 86400
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.total, invoice.amount_paid, invoice.billing_reason) == (
        "paid", 4000, 4000, "subscription_create")
    assert invoice.parent.subscription_details.subscription == sub.id
    payments = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(payments[0].payment.payment_intent)
    assert intent.status == "succeeded" and intent.amount == 4000
    assert [s.id for s in client.v1.subscriptions.list({"customer": customer.id}).data] == [sub.id]


def test_cancel_at_period_end_then_now_then_again(client, customer, monthly_price):
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly_price.id}]})
    scheduled = client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    assert scheduled.cancel_at_period_end is True and scheduled.status == "active"
    assert scheduled.cancel_at == sub.items.data[0].current_period_end
    resumed = client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": False})
    assert resumed.cancel_at_period_end is False and resumed.cancel_at is None

    canceled = client.v1.subscriptions.cancel(sub.id, {"invoice_now": False, "prorate": True})
    assert canceled.status == "canceled" and canceled.canceled_at and canceled.ended_at
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.subscriptions.cancel(sub.id)
    assert again.value.code == "resource_missing"
    assert client.v1.subscriptions.list({"customer": customer.id}).data == []
    assert [s.id for s in client.v1.subscriptions.list({"customer": customer.id, "status": "all"}).data] == [sub.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})


def test_trial_subscription_starts_trialing_with_zero_invoice(client, customer, monthly_price):
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly_price.id}],
                                          "trial_period_days": 14, "expand": ["latest_invoice"]})
    assert sub.status == "trialing" and sub.trial_end - sub.trial_start == 14 * 86400
    assert sub.items.data[0].current_period_end == sub.trial_end
    assert sub.latest_invoice.total == 0 and sub.latest_invoice.status == "paid"
    assert client.v1.subscriptions.list({"status": "trialing"}).data[0].id == sub.id


def test_subscription_discounts_from_coupon_and_promotion_code(client, customer, monthly_price):
    coupon = client.v1.coupons.create({"percent_off": 25, "duration": "repeating", "duration_in_months": 3})
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING25"})
    assert promo.code == "SPRING25" and promo.promotion.coupon == coupon.id and promo.active
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly_price.id}],
                                          "discounts": [{"promotion_code": promo.id}],
                                          "expand": ["latest_invoice", "discounts"]})
    discount = sub.discounts[0]
    assert discount.source.coupon == coupon.id and discount.promotion_code == promo.id and discount.end
    assert sub.latest_invoice.total == 1500 and sub.latest_invoice.total_discount_amounts[0].amount == 500

    fixed = client.v1.coupons.create({"id": "FIVEOFF", "amount_off": 500, "currency": "usd", "duration": "once"})
    updated = client.v1.subscriptions.update(sub.id, {"discounts": [{"coupon": fixed.id}]})
    assert len(updated.discounts) == 1 and updated.discounts[0] != discount.id
    assert client.v1.coupons.retrieve("FIVEOFF").times_redeemed == 1
    assert client.v1.promotion_codes.list({"code": "spring25"}).data[0].id == promo.id


def test_promotion_code_rules(client):
    coupon = client.v1.coupons.create({"amount_off": 300, "currency": "usd", "duration": "once"})
    legacy = client.v1.promotion_codes.create({"coupon": coupon.id, "code": "OLDSTYLE"})
    assert legacy.promotion.coupon == coupon.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "oldstyle"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": "NOPE"}})
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.create({"duration": "once"})
    client.v1.promotion_codes.update(legacy.id, {"active": False})
    jenny = client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(jenny.id, {"promotion_code": legacy.id})


def test_invoice_create_item_finalize_send_pay_and_void_error(client, sandbox, customer):
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                         "days_until_due": 30, "description": "Consulting"})
    assert invoice.status == "draft" and invoice.number is None
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 12500,
                                    "currency": "usd", "description": "Setup"})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 500,
                                    "currency": "usd", "description": "Extra"})
    draft = client.v1.invoices.retrieve(invoice.id)
    assert (draft.subtotal, draft.total, draft.amount_due) == (13000, 13000, 13000)
    assert [line.description for line in client.v1.invoices.line_items.list(invoice.id).data] == ["Extra", "Setup"]

    final = client.v1.invoices.finalize_invoice(invoice.id)
    assert final.status == "open" and final.number.startswith(customer.invoice_prefix)
    assert final.due_date - final.status_transitions.finalized_at == 30 * 86400 and final.hosted_invoice_url
    sent = client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open"
    assert [s["invoice"] for s in sandbox.invoice_sends] == [invoice.id]
    assert sandbox.invoice_sends[0]["to"] == "jenny@example.com"

    paid = client.v1.invoices.pay(invoice.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 13000, 0)
    with pytest.raises(stripe.InvalidRequestError) as void_paid:
        client.v1.invoices.void_invoice(invoice.id)
    assert void_paid.value.http_status == 400


def test_send_finalizes_a_draft_and_void_open_invoice(client, customer):
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                         "days_until_due": 7})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 900, "currency": "usd"})
    sent = client.v1.invoices.send_invoice(invoice.id)
    assert sent.status == "open" and sent.number
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void" and voided.status_transitions.voided_at
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice.id)
    uncollectible = client.v1.invoices.create({"customer": customer.id})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": uncollectible.id, "amount": 100,
                                    "currency": "usd"})
    client.v1.invoices.finalize_invoice(uncollectible.id)
    assert client.v1.invoices.mark_uncollectible(uncollectible.id).status == "uncollectible"
    assert [i.id for i in client.v1.invoices.list({"customer": customer.id, "status": "void"}).data] == [invoice.id]


def test_send_requires_send_invoice_collection(client, customer):
    invoice = client.v1.invoices.create({"customer": customer.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.send_invoice(invoice.id)


def test_tax_rates_exclusive_and_inclusive(client, customer):
    vat = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 19, "inclusive": False,
                                      "jurisdiction": "DE"})
    gst = client.v1.tax_rates.create({"display_name": "GST", "percentage": 10, "inclusive": True})
    invoice = client.v1.invoices.create({"customer": customer.id, "default_tax_rates": [vat.id]})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 10000, "currency": "usd"})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 1100, "currency": "usd",
                                    "tax_rates": [gst.id]})
    invoice = client.v1.invoices.retrieve(invoice.id)
    taxes = {t.tax_rate_details.tax_rate: (t.amount, t.tax_behavior, t.taxable_amount) for t in invoice.total_taxes}
    assert taxes == {vat.id: (1900, "exclusive", 10000), gst.id: (100, "inclusive", 1000)}
    assert (invoice.subtotal, invoice.total, invoice.total_excluding_tax) == (11100, 13000, 11000)
    assert invoice.lines.data[0].taxes[0].amount in (1900, 100)


def test_customer_tax_ids_nested_and_top_level(client, customer):
    vat = client.v1.customers.tax_ids.create(customer.id, {"type": "eu_vat", "value": "DE123456789"})
    assert (vat.country, vat.verification.status, vat.customer) == ("DE", "pending", customer.id)
    abn = client.v1.tax_ids.create({"type": "au_abn", "value": "12345678912",
                                    "owner": {"type": "customer", "customer": customer.id}})
    listed = client.v1.customers.tax_ids.list(customer.id)
    assert [t.id for t in listed.data] == [abn.id, vat.id]
    assert client.v1.tax_ids.list({"owner": {"type": "customer", "customer": customer.id}}).data[0].id == abn.id
    for bad in ({"type": "eu_vat", "value": "12"}, {"type": "xx_vat", "value": "1"}, {"type": "gb_vat", "value": "DE1"}):
        with pytest.raises(stripe.InvalidRequestError) as invalid:
            client.v1.customers.tax_ids.create(customer.id, bad)
        assert invalid.value.code == "tax_id_invalid"
    assert client.v1.customers.tax_ids.delete(customer.id, vat.id).deleted is True
    assert [t.id for t in client.v1.customers.tax_ids.list(customer.id).data] == [abn.id]
    events = {e.type for e in client.v1.events.list({"type": "customer.tax_id.*"}).data}
    assert events == {"customer.tax_id.created", "customer.tax_id.deleted"}


def test_dispute_opened_by_sandbox_control(client, sandbox):
    charge = paid_charge(client, 3000)
    dispute = sandbox.open_dispute(charge.id, reason="fraudulent")
    assert dispute["status"] == "needs_response" and dispute["amount"] == 3000
    listed = client.v1.disputes.list({"charge": charge.id}).data
    assert [d.id for d in listed] == [dispute["id"]] and listed[0].reason == "fraudulent"
    assert client.v1.charges.retrieve(charge.id).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as refund:
        client.v1.refunds.create({"charge": charge.id})
    assert refund.value.code == "charge_disputed"
    closed = client.v1.disputes.close(dispute["id"])
    assert closed.status == "lost"
    assert client.v1.events.list({"type": "charge.dispute.created"}).data[0].data.object.id == dispute["id"]


def test_pending_items_join_the_next_invoice_and_pdf_is_served(client, sandbox, customer):
    import requests

    item = client.v1.invoice_items.create({"customer": customer.id, "amount": 4200, "currency": "usd",
                                           "description": "Onboarding"})
    assert item.invoice is None
    skipped = client.v1.invoices.create({"customer": customer.id})
    assert skipped.total == 0
    invoice = client.v1.invoices.create({"customer": customer.id, "pending_invoice_items_behavior": "include"})
    assert invoice.total == 4200 and client.v1.invoice_items.retrieve(item.id).invoice == invoice.id
    final = client.v1.invoices.finalize_invoice(invoice.id)
    page = requests.get(final.hosted_invoice_url)
    pdf = requests.get(final.invoice_pdf)
    assert page.status_code == 200 and "Onboarding: 42.00 USD" in page.text
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-1.4")


def test_deleting_a_customer_cancels_its_subscriptions(client, customer, monthly_price):
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": [{"price": monthly_price.id}]})
    client.v1.customers.delete(customer.id)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"


def test_subscription_with_declining_card(client, monthly_price):
    risky = client.v1.customers.create({"payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                                        "invoice_settings": {"default_payment_method":
                                                             "pm_card_chargeDeclinedInsufficientFunds"}})
    with pytest.raises(stripe.CardError) as strict:
        client.v1.subscriptions.create({"customer": risky.id, "items": [{"price": monthly_price.id}],
                                        "payment_behavior": "error_if_incomplete"})
    assert strict.value.error.decline_code == "insufficient_funds"
    assert client.v1.subscriptions.list({"customer": risky.id, "status": "all"}).data == []
    sub = client.v1.subscriptions.create({"customer": risky.id, "items": [{"price": monthly_price.id}],
                                          "expand": ["latest_invoice"]})
    assert sub.status == "incomplete" and sub.latest_invoice.status == "open"
    assert sub.latest_invoice.attempt_count == 1 and sub.latest_invoice.amount_paid == 0

"""Customers, payment methods, PaymentIntents and charges through the real stripe SDK."""
from __future__ import annotations

import pytest
import requests
import stripe

from .test_sandbox_support import client, customer, running_sandbox, sandbox  # noqa: F401


def test_customer_crud_and_list_by_email(client):
    jenny = client.v1.customers.create({"email": "jenny@example.com", "name": "Jenny", "metadata": {"plan": "pro"}})
    client.v1.customers.create({"email": "other@example.com"})
    assert jenny.id.startswith("cus_") and jenny.livemode is False and jenny.metadata["plan"] == "pro"

    updated = client.v1.customers.update(jenny.id, {"name": "Jenny Rosen", "metadata": {"plan": ""}})
    assert updated.name == "Jenny Rosen" and updated.email == "jenny@example.com"
    assert updated.metadata.to_dict() == {}

    found = client.v1.customers.list({"email": "jenny@example.com"})
    assert [c.id for c in found.data] == [jenny.id]

    deleted = client.v1.customers.delete(jenny.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(jenny.id).deleted is True
    assert client.v1.customers.list({"email": "jenny@example.com"}).data == []


def test_customer_search_by_email(client):
    wanted = client.v1.customers.create({"email": "Find.Me@example.com"})
    client.v1.customers.create({"email": "nope@example.com"})
    result = client.v1.customers.search({"query": "email:'find.me@example.com'"})
    assert [c.id for c in result.data] == [wanted.id]


def test_unknown_id_unknown_param_and_bad_key(client, sandbox):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.charges.retrieve("ch_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert "No such charge: 'ch_nope'" in str(missing.value)

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create({"foo": "bar"})
    assert unknown.value.code == "parameter_unknown" and unknown.value.param == "foo"

    bad = stripe.StripeClient("pk_test_123456789", base_addresses={"api": sandbox.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as auth:
        bad.v1.customers.list()
    assert auth.value.http_status == 401
    assert requests.get(sandbox.url + "/v1/customers").status_code == 401


def test_payment_method_from_card_number_and_attach(client):
    jenny = client.v1.customers.create({"email": "j@example.com"})
    pm = client.v1.payment_methods.create({"type": "card", "card": {
        "number": "5555555555554444", "exp_month": 4, "exp_year": 2031, "cvc": "123"}})
    assert (pm.card.brand, pm.card.last4, pm.card.exp_year) == ("mastercard", "4444", 2031)

    attached = client.v1.payment_methods.attach(pm.id, {"customer": jenny.id})
    assert attached.customer == jenny.id
    listed = client.v1.customers.payment_methods.list(jenny.id)
    assert [p.id for p in listed.data] == [pm.id]

    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    with pytest.raises(stripe.CardError) as bad_number:
        client.v1.payment_methods.create({"type": "card", "card": {
            "number": "4242424242424241", "exp_month": 4, "exp_year": 2031}})
    assert bad_number.value.code == "incorrect_number"


def test_automatic_capture_creates_succeeded_charge(client, customer):
    intent = client.v1.payment_intents.create({
        "amount": 2500, "currency": "usd", "customer": customer.id,
        "payment_method": customer.invoice_settings.default_payment_method, "confirm": True,
        "description": "Order 42", "metadata": {"order": "42"}})
    assert intent.status == "succeeded" and intent.amount_received == 2500
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.captured, charge.amount_captured, charge.paid) == ("succeeded", True, 2500, True)
    assert (charge.payment_method_details.card.brand, charge.payment_method_details.card.last4) == ("visa", "4242")
    assert charge.customer == customer.id and charge.payment_intent == intent.id
    assert [c.id for c in client.v1.charges.list({"customer": customer.id}).data] == [charge.id]


def test_manual_capture_partial_then_second_capture_fails(client):
    intent = client.v1.payment_intents.create({
        "amount": 5000, "currency": "usd", "payment_method": "pm_card_amex", "confirm": True,
        "capture_method": "manual"})
    assert intent.status == "requires_capture" and intent.amount_capturable == 5000
    held = client.v1.charges.retrieve(intent.latest_charge)
    assert held.captured is False and held.amount_captured == 0 and held.payment_method_details.card.brand == "amex"

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 6000})
    assert too_much.value.code == "amount_too_large"

    captured = client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 3000})
    assert captured.status == "succeeded" and captured.amount_received == 3000 and captured.amount_capturable == 0
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.amount_captured, charge.amount_refunded, charge.refunded) == (True, 3000, 2000, False)

    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.capture(intent.id)
    assert again.value.code == "payment_intent_unexpected_state" and again.value.http_status == 400


def test_cancel_uncaptured_intent_releases_the_charge(client):
    intent = client.v1.payment_intents.create({
        "amount": 1200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual"})
    canceled = client.v1.payment_intents.cancel(intent.id, {"cancellation_reason": "requested_by_customer"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "requested_by_customer"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 1200
    with pytest.raises(stripe.InvalidRequestError) as late:
        client.v1.payment_intents.capture(intent.id)
    assert late.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize("payment_method, decline_code", [
    ("pm_card_chargeDeclined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ("pm_card_visa_chargeDeclined", "generic_decline"),
])
def test_decline_raises_card_error_and_records_failed_charge(client, sandbox, payment_method, decline_code):
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create({"amount": 900, "currency": "usd", "payment_method": payment_method,
                                          "confirm": True})
    error = declined.value
    assert error.http_status == 402 and error.code == "card_declined" and error.error.decline_code == decline_code
    intent = error.error.payment_intent
    assert intent.status == "requires_payment_method" and intent.last_payment_error.decline_code == decline_code
    charges = sandbox.objects("charge")
    assert [(c["status"], c["paid"], c["failure_code"]) for c in charges] == [("failed", False, "card_declined")]


def test_declining_card_number_on_a_legacy_charge(client, sandbox):
    with pytest.raises(stripe.CardError) as declined:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_chargeDeclinedInsufficientFunds"})
    assert declined.value.error.decline_code == "insufficient_funds"
    pm = client.v1.payment_methods.create({"type": "card", "card": {
        "number": "4000000000000002", "exp_month": 1, "exp_year": 2032}})
    with pytest.raises(stripe.CardError) as generic:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "payment_method": pm.id, "confirm": True})
    assert generic.value.error.decline_code == "generic_decline"


def test_legacy_charge_with_capture_false_then_capture(client, customer):
    charge = client.v1.charges.create({"amount": 4000, "currency": "usd", "customer": customer.id, "capture": False})
    assert charge.captured is False and charge.status == "succeeded" and charge.customer == customer.id
    captured = client.v1.charges.capture(charge.id, {"amount": 2500})
    assert (captured.captured, captured.amount_captured, captured.amount_refunded) == (True, 2500, 1500)
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.charges.capture(charge.id)
    assert twice.value.code == "charge_already_captured"


def test_charge_capture_goes_through_its_payment_intent(client):
    intent = client.v1.payment_intents.create({"amount": 800, "currency": "usd", "payment_method": "pm_card_visa",
                                               "confirm": True, "capture_method": "manual"})
    charge = client.v1.charges.capture(intent.latest_charge)
    assert charge.captured is True and charge.amount_captured == 800
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_expand_latest_charge_and_customer(client, customer):
    intent = client.v1.payment_intents.create({
        "amount": 700, "currency": "usd", "customer": customer.id, "confirm": True,
        "payment_method": customer.invoice_settings.default_payment_method,
        "expand": ["latest_charge", "customer"]})
    assert intent.latest_charge.object == "charge" and intent.latest_charge.amount == 700
    assert intent.customer.email == "jenny@example.com"
    listed = client.v1.charges.list({"expand": ["data.payment_intent"]})
    assert listed.data[0].payment_intent.id == intent.id


def test_create_then_confirm_and_update(client):
    intent = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert intent.status == "requires_payment_method" and intent.client_secret.startswith(intent.id + "_secret_")
    with pytest.raises(stripe.InvalidRequestError) as no_pm:
        client.v1.payment_intents.confirm(intent.id)
    assert no_pm.value.code == "payment_intent_unexpected_state"
    updated = client.v1.payment_intents.update(intent.id, {"amount": 1100, "metadata": {"k": "v"}})
    assert updated.amount == 1100 and updated.metadata["k"] == "v"
    confirmed = client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_mastercard"})
    assert confirmed.status == "succeeded" and confirmed.amount_received == 1100
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(intent.id)
    with pytest.raises(stripe.InvalidRequestError) as small:
        client.v1.payment_intents.create({"amount": 10, "currency": "usd"})
    assert small.value.code == "amount_too_small"


def test_a_rejected_request_leaves_nothing_half_written(client, sandbox):
    with pytest.raises(stripe.InvalidRequestError) as bad_tax_id:
        client.v1.customers.create({"email": "half@example.com", "payment_method": "pm_card_visa", "tax_id_data": [
            {"type": "eu_vat", "value": "DE123456789"}, {"type": "eu_vat", "value": "nope"}]})
    assert bad_tax_id.value.param == "tax_id_data[1][value]"
    assert sandbox.objects("customer") == [] and sandbox.objects("tax_id") == []
    assert sandbox.objects("payment_method") == [] and sandbox.objects("event") == []
    jenny = client.v1.customers.create({})
    invoice = client.v1.invoices.create({"customer": jenny.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.add_lines(invoice.id, {"lines": [
            {"amount": 100, "description": "fine"}, {"description": "no amount"}]})
    assert sandbox.objects("line_item") == [] and sandbox.objects("invoiceitem") == []

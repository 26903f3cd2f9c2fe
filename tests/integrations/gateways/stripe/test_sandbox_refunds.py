"""Refund rules, idempotency keys and injected failures, through the real stripe SDK."""
from __future__ import annotations

import pytest
import stripe

from .test_sandbox_support import client, paid_charge, running_sandbox, sandbox  # noqa: F401


def test_partial_refunds_then_over_refund_then_already_refunded(client):
    charge = paid_charge(client, 2000)
    first = client.v1.refunds.create({"charge": charge.id, "amount": 500, "reason": "requested_by_customer",
                                      "metadata": {"ticket": "T-1"}})
    second = client.v1.refunds.create({"payment_intent": charge.payment_intent, "amount": 700})
    assert (first.amount, first.status, first.reason, first.metadata["ticket"]) == (500, "succeeded",
                                                                                  "requested_by_customer", "T-1")
    assert second.charge == charge.id and second.payment_intent == charge.payment_intent
    after = client.v1.charges.retrieve(charge.id)
    assert (after.amount_refunded, after.refunded) == (1200, False)
    assert {r.id for r in after.refunds.data} == {first.id, second.id}

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create({"charge": charge.id, "amount": 5000})
    assert too_much.value.code == "amount_too_large" and too_much.value.param == "amount"
    assert "Refund amount ($50.00) is greater than" in str(too_much.value) and "($8.00)" in str(too_much.value)

    rest = client.v1.refunds.create({"charge": charge.id})
    assert rest.amount == 800
    assert client.v1.charges.retrieve(charge.id).refunded is True
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"charge": charge.id, "amount": 1})
    assert again.value.code == "charge_already_refunded"


def test_over_refund_of_untouched_charge_uses_stripes_wording(client):
    charge = paid_charge(client, 2000)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create({"charge": charge.id, "amount": 5000})
    assert "Refund amount ($50.00) is greater than charge amount ($20.00)" in str(too_much.value)


def test_refund_rules_for_uncaptured_and_bad_reason(client):
    intent = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
                                               "confirm": True, "capture_method": "manual"})
    with pytest.raises(stripe.InvalidRequestError) as uncaptured:
        client.v1.refunds.create({"charge": intent.latest_charge})
    assert uncaptured.value.code == "charge_not_refundable"
    charge = paid_charge(client)
    with pytest.raises(stripe.InvalidRequestError) as reason:
        client.v1.refunds.create({"charge": charge.id, "reason": "because"})
    assert reason.value.param == "reason"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({})


def test_refund_list_filters_by_charge(client):
    one, two = paid_charge(client), paid_charge(client)
    refund = client.v1.refunds.create({"charge": one.id, "amount": 100})
    client.v1.refunds.create({"charge": two.id, "amount": 100})
    assert [r.id for r in client.v1.refunds.list({"charge": one.id}).data] == [refund.id]
    assert client.v1.refunds.retrieve(refund.id).amount == 100


def test_idempotent_replay_returns_the_first_refund(client, sandbox):
    charge = paid_charge(client, 3000)
    options = {"idempotency_key": "refund:ch:action-1"}
    first = client.v1.refunds.create({"charge": charge.id, "amount": 1000}, options)
    replay = client.v1.refunds.create({"charge": charge.id, "amount": 1000}, options)
    assert replay.id == first.id
    assert replay.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert replay.last_response.body == first.last_response.body
    assert len(sandbox.objects("refund")) == 1
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 1000

    with pytest.raises(stripe.IdempotencyError):
        client.v1.refunds.create({"charge": charge.id, "amount": 999}, options)
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({}, options)
    assert len(sandbox.objects("refund")) == 1


def test_requests_without_a_shared_key_are_not_deduplicated(client, sandbox):
    charge = paid_charge(client, 3000)
    client.v1.refunds.create({"charge": charge.id, "amount": 100})
    client.v1.refunds.create({"charge": charge.id, "amount": 100})
    assert len(sandbox.objects("refund")) == 2


def test_card_decline_is_replayed_for_the_same_key(client, sandbox):
    params = {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params, {"idempotency_key": "pay-1"})
    with pytest.raises(stripe.CardError) as second:
        client.v1.payment_intents.create(params, {"idempotency_key": "pay-1"})
    assert first.value.error.charge == second.value.error.charge
    assert len(sandbox.objects("payment_intent")) == 1


def test_fail_next_returns_api_error_then_succeeds(client, sandbox):
    charge = paid_charge(client, 2000)
    sandbox.fail_next(count=1, status=500, path_prefix="/v1/refunds")
    with pytest.raises(stripe.APIError) as failed:
        client.v1.refunds.create({"charge": charge.id, "amount": 300}, {"idempotency_key": "k-fail"})
    assert failed.value.http_status == 500
    assert sandbox.objects("refund") == []
    refund = client.v1.refunds.create({"charge": charge.id, "amount": 300}, {"idempotency_key": "k-fail"})
    assert refund.amount == 300 and len(sandbox.objects("refund")) == 1


def test_fail_next_matches_only_its_path_prefix_and_count(client, sandbox):
    sandbox.fail_next(count=2, status=503, path_prefix="/v1/customers")
    paid_charge(client)  # other paths are untouched
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            client.v1.customers.list()
    assert client.v1.customers.list().data == []
    sandbox.fail_next(status=429)
    with pytest.raises(stripe.RateLimitError):
        client.v1.charges.list()


def test_after_commit_applies_the_refund_but_loses_the_response(client, sandbox):
    charge = paid_charge(client, 2000)
    sandbox.fail_next(path_prefix="/v1/refunds", after_commit=True)
    with pytest.raises(stripe.APIError):
        client.v1.refunds.create({"charge": charge.id, "amount": 400}, {"idempotency_key": "job-7"})
    stored = sandbox.objects("refund")
    assert [(r["amount"], r["charge"]) for r in stored] == [(400, charge.id)]
    retried = client.v1.refunds.create({"charge": charge.id, "amount": 400}, {"idempotency_key": "job-7"})
    assert retried.id == stored[0]["id"]
    assert retried.last_response.headers.get("Idempotent-Replayed") == "true"
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 400
    assert sandbox.request_log[-3:-1] == [("POST", "/v1/refunds", "job-7")] * 2


def test_uncaptured_legacy_charge_is_released_by_a_full_refund(client):
    charge = client.v1.charges.create({"amount": 1500, "currency": "usd", "source": "tok_visa", "capture": False})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": charge.id, "amount": 500})
    refund = client.v1.refunds.create({"charge": charge.id})
    released = client.v1.charges.retrieve(charge.id)
    assert refund.amount == 1500 and (released.refunded, released.captured, released.amount_refunded) == (True, False, 1500)


def test_concurrent_refunds_never_exceed_the_charge(client, sandbox):
    from concurrent.futures import ThreadPoolExecutor

    charge = paid_charge(client, 1000)

    def refund_300(_):
        try:
            return client.v1.refunds.create({"charge": charge.id, "amount": 300}).amount
        except stripe.InvalidRequestError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(refund_300, range(8)))
    assert sorted(o for o in outcomes if o == 300) == [300, 300, 300]
    assert outcomes.count("amount_too_large") == 5
    assert client.v1.charges.retrieve(charge.id).amount_refunded == 900


def test_refund_with_its_charge_expanded_shows_the_charge_after_the_refund(client):
    """expand[]=charge on create, as in Stripe: one call returns the refund and the charge it left."""
    charge = paid_charge(client, 2000)
    refund = client.v1.refunds.create({"charge": charge.id, "amount": 600, "expand": ["charge"]},
                                      {"idempotency_key": "expand-1"})
    assert refund.charge.id == charge.id
    assert (refund.charge.amount_refunded, refund.charge.refunded) == (600, False)
    assert [r.id for r in refund.charge.refunds.data] == [refund.id]
    replayed = client.v1.refunds.create({"charge": charge.id, "amount": 600, "expand": ["charge"]},
                                        {"idempotency_key": "expand-1"})
    assert replayed.id == refund.id and replayed.charge.amount_refunded == 600
    assert replayed.last_response.headers["Idempotent-Replayed"] == "true"

"""Charges, captures, voids and refunds through the adapter, the real SDK and the sandbox."""
from __future__ import annotations

import pytest

from backend.integrations.gateways import Operation
from backend.integrations.gateways.errors import (
    GatewayAuthError, GatewayNotFound, GatewayRejected, GatewayUnavailable,
)
from backend.integrations.gateways.records import ChargeStatus, ObjectKind, RefundStatus


def refund(adapter, charge_id, amount, key, currency="USD"):
    return adapter.refund(charge_id=charge_id, amount=amount, currency=currency, reason="asked",
                          note=None, idempotency_key=key)


def credits_for(sandbox, charge_id):
    return [t for t in sandbox.objects("transaction")
            if t["type"] == "credit" and t["refunded_transaction_id"] == charge_id]


def test_authorize_only_sale_is_authorized_and_capturable(adapter, make_sale):
    sale = make_sale("25.00")
    charge = adapter.fetch(ObjectKind.CHARGE, sale.id)
    assert charge.status is ChargeStatus.AUTHORIZED
    assert (charge.amount, charge.amount_capturable, charge.amount_captured) == (2500, 2500, 0)
    assert (charge.card_brand, charge.card_last4) == ("Visa", "1111")
    assert charge.created_at.tzinfo is not None


def test_partial_capture_settles_the_smaller_amount(adapter, make_sale, sdk):
    sale = make_sale("25.00")
    charge = adapter.capture(charge_id=sale.id, amount=1850, idempotency_key="cap-1")
    assert charge.status is ChargeStatus.SUCCEEDED
    assert (charge.amount, charge.amount_captured, charge.amount_capturable) == (1850, 1850, 0)
    assert str(sdk.transaction.find(sale.id).amount) == "18.50"


def test_capture_above_the_authorization_is_rejected(adapter, make_sale):
    sale = make_sale("25.00")
    with pytest.raises(GatewayRejected) as caught:
        adapter.capture(charge_id=sale.id, amount=2501, idempotency_key="cap-1")
    assert caught.value.code == "91522"
    assert "too large" in caught.value.message
    assert adapter.fetch(ObjectKind.CHARGE, sale.id).status is ChargeStatus.AUTHORIZED


def test_capture_happens_once(adapter, make_sale, sdk):
    sale = make_sale("25.00")
    first = adapter.capture(charge_id=sale.id, amount=1000, idempotency_key="cap-1")
    again = adapter.capture(charge_id=sale.id, amount=1000, idempotency_key="cap-1")
    assert again == first
    direct = sdk.transaction.submit_for_settlement(sale.id, "5.00")
    assert not direct.is_success
    assert direct.errors.deep_errors[0].code == "91507"
    assert adapter.fetch(ObjectKind.CHARGE, sale.id).amount_captured == 1000


def test_void_an_authorization(adapter, make_sale):
    sale = make_sale("12.00")
    charge = adapter.void(charge_id=sale.id, idempotency_key="void-1")
    assert charge.status is ChargeStatus.CANCELED
    assert (charge.raw_status, charge.amount_captured, charge.amount_capturable) == ("voided", 0, 0)
    assert adapter.void(charge_id=sale.id, idempotency_key="void-1") == charge


def test_void_after_settlement_is_rejected(adapter, make_sale, sandbox):
    sale = make_sale("12.00", submit=True)
    sandbox.settle(sale.id)
    with pytest.raises(GatewayRejected) as caught:
        adapter.void(charge_id=sale.id, idempotency_key="void-1")
    assert caught.value.code == "91504"


@pytest.mark.parametrize("submit", [False, True])
def test_refund_before_settlement_says_void_instead(adapter, make_sale, sandbox, submit):
    sale = make_sale("12.00", submit=submit)
    with pytest.raises(GatewayRejected) as caught:
        refund(adapter, sale.id, 500, "ref-1")
    assert caught.value.code == "must_void"
    assert "Void it instead" in caught.value.message
    assert credits_for(sandbox, sale.id) == []


def test_settled_sale_takes_two_partial_refunds(adapter, make_sale, sandbox):
    sale = make_sale("30.00", submit=True)
    sandbox.settle(sale.id)
    first = refund(adapter, sale.id, 1000, "ref-1")
    second = refund(adapter, sale.id, 500, "ref-2")
    assert first.refund.external_id != second.refund.external_id
    assert (first.refund.amount, second.refund.amount) == (1000, 500)
    assert first.refund.charge_external_id == sale.id
    assert first.refund.status is RefundStatus.SUCCEEDED
    assert first.charge.amount_refunded == 1000
    assert second.charge.amount_refunded == 1500
    assert adapter.fetch(ObjectKind.CHARGE, sale.id).amount_refunded == 1500


def test_refund_above_what_is_left_is_rejected(adapter, make_sale, sandbox):
    sale = make_sale("30.00", submit=True)
    sandbox.settle(sale.id)
    refund(adapter, sale.id, 2000, "ref-1")
    with pytest.raises(GatewayRejected) as caught:
        refund(adapter, sale.id, 1001, "ref-2")
    assert caught.value.code == "91521"
    assert caught.value.message == "Refund amount is too large."
    assert len(credits_for(sandbox, sale.id)) == 1


def test_full_refund_when_amount_is_none(adapter, make_sale, sandbox):
    sale = make_sale("30.00", submit=True)
    sandbox.settle(sale.id)
    refund(adapter, sale.id, 1000, "ref-1")
    rest = refund(adapter, sale.id, None, "ref-2")
    assert rest.refund.amount == 2000
    assert rest.charge.amount_refunded == 3000


def test_refund_replay_with_the_same_key_makes_one_credit(adapter, make_sale, sandbox):
    sale = make_sale("30.00", submit=True)
    sandbox.settle(sale.id)
    first = refund(adapter, sale.id, 700, "run-42")
    replay = refund(adapter, sale.id, 700, "run-42")
    assert replay.refund == first.refund
    credits = credits_for(sandbox, sale.id)
    assert [c["order_id"] for c in credits] == ["run-42"]
    assert replay.charge.amount_refunded == 700


def test_refund_currency_must_match_the_charge(adapter, make_sale, sandbox):
    sale = make_sale("30.00", submit=True)
    sandbox.settle(sale.id)
    with pytest.raises(GatewayRejected) as caught:
        refund(adapter, sale.id, 100, "ref-1", currency="EUR")
    assert caught.value.code == "currency_mismatch"


def test_server_error_is_retryable_unavailable(adapter, make_sale, sandbox):
    sale = make_sale("10.00")
    sandbox.fail_next(1, status=500, path_prefix="/transactions")
    with pytest.raises(GatewayUnavailable) as caught:
        adapter.capture(charge_id=sale.id, amount=None, idempotency_key="cap-1")
    assert caught.value.retryable
    assert adapter.capture(charge_id=sale.id, amount=None,
                           idempotency_key="cap-1").status is ChargeStatus.SUCCEEDED


def test_refund_committed_before_a_500_is_found_by_reconcile(adapter, make_sale, sandbox):
    sale = make_sale("30.00", submit=True)
    sandbox.settle(sale.id)
    assert adapter.reconcile(operation=Operation.REFUND, target_id=sale.id,
                             idempotency_key="run-7") is None
    sandbox.fail_next(1, status=500, path_prefix=f"/transactions/{sale.id}/refund",
                      after_commit=True)
    with pytest.raises(GatewayUnavailable):
        refund(adapter, sale.id, 900, "run-7")
    found = adapter.reconcile(operation=Operation.REFUND, target_id=sale.id,
                              idempotency_key="run-7")
    assert (found.amount, found.charge_external_id) == (900, sale.id)
    retried = refund(adapter, sale.id, 900, "run-7")
    assert retried.refund.external_id == found.external_id
    assert len(credits_for(sandbox, sale.id)) == 1


def test_capture_committed_before_a_500_is_found_by_reconcile(adapter, make_sale, sandbox):
    sale = make_sale("30.00")
    sandbox.fail_next(1, status=503, path_prefix="/transactions", after_commit=True)
    with pytest.raises(GatewayUnavailable):
        adapter.client.submit_for_settlement(sale.id, amount="20.00")
    found = adapter.reconcile(operation=Operation.CAPTURE, target_id=sale.id,
                              idempotency_key="cap-9")
    assert (found.status, found.amount_captured) == (ChargeStatus.SUCCEEDED, 2000)
    assert adapter.reconcile(operation=Operation.VOID, target_id=sale.id,
                             idempotency_key="void-9") is None


def test_jpy_amounts_are_exact(adapter, make_sale, sandbox):
    sale = make_sale("1500", merchant_account_id="chargedesk_jpy")
    charge = adapter.capture(charge_id=sale.id, amount=1200, idempotency_key="cap-1")
    assert (charge.currency, charge.amount) == ("JPY", 1200)
    sandbox.settle(sale.id)
    result = refund(adapter, sale.id, 300, "ref-1", currency="jpy")
    assert (result.refund.amount, result.refund.currency) == (300, "JPY")
    assert result.charge.amount_refunded == 300
    assert credits_for(sandbox, sale.id)[0]["amount"].to_eng_string() == "300"


def test_three_decimal_currency(adapter, make_sale):
    sale = make_sale("1.250", merchant_account_id="chargedesk_kwd")
    charge = adapter.fetch(ObjectKind.CHARGE, sale.id)
    assert (charge.amount, charge.currency) == (1250, "KWD")


def test_processor_decline_is_a_failed_charge(adapter, sdk):
    result = sdk.transaction.sale({"amount": "10.00", "credit_card": {
        "number": "4000111111111115", "expiration_date": "12/2030"}})
    assert not result.is_success
    assert result.transaction.processor_response_code == "2000"
    charge = adapter.fetch(ObjectKind.CHARGE, result.transaction.id)
    assert charge.status is ChargeStatus.FAILED
    assert charge.failure_message == "Do Not Honor"


def test_declined_sale_through_the_client_carries_the_processor_code(adapter):
    with pytest.raises(GatewayRejected) as caught:
        adapter.client.sale(amount="2001.00", card_number="4111111111111111")
    assert (caught.value.code, caught.value.message) == ("2001", "Insufficient Funds")


def test_unknown_status_maps_to_unknown(adapter, make_sale, sandbox):
    sale = make_sale("10.00", submit=True)
    sandbox.set_status("transaction", sale.id, "some_future_status")
    charge = adapter.fetch(ObjectKind.CHARGE, sale.id)
    assert charge.status is ChargeStatus.UNKNOWN
    assert (charge.raw_status, charge.amount_captured) == ("some_future_status", 0)


def test_missing_charge_is_not_found(adapter):
    with pytest.raises(GatewayNotFound):
        adapter.fetch(ObjectKind.CHARGE, "nope123")


def test_a_refund_is_not_a_charge(adapter, make_sale, sandbox):
    sale = make_sale("10.00", submit=True)
    sandbox.settle(sale.id)
    made = refund(adapter, sale.id, 100, "ref-1")
    assert adapter.fetch(ObjectKind.REFUND, made.refund.external_id) == made.refund
    with pytest.raises(GatewayNotFound):
        adapter.fetch(ObjectKind.CHARGE, made.refund.external_id)


def test_wrong_keys_are_an_auth_error(sandbox):
    from backend.integrations.gateways import build_adapter
    config = sandbox.gateway_config(credentials={**sandbox.credentials(), "private_key": "bad"})
    with pytest.raises(GatewayAuthError):
        build_adapter("braintree", config).fetch(ObjectKind.CHARGE, "abc")

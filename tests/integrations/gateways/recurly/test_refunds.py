"""Refunds through the real SDK: partial twice, over-refund, idempotency, failures, reconcile."""
from __future__ import annotations

from decimal import Decimal

import pytest

from backend.integrations.gateways.contract import Operation
from backend.integrations.gateways.errors import GatewayRejected, GatewayUnavailable
from backend.integrations.gateways.records import ChargeStatus, ObjectKind, RefundStatus


def _refund(adapter, charge, amount, *, currency="USD", key="run-1", note=None):
    return adapter.refund(charge_id=charge.id, amount=amount, currency=currency,
                          reason="requested_by_customer", note=note, idempotency_key=key)


def _refund_transactions(sandbox):
    return [t for t in sandbox.objects("transactions") if t["type"] == "refund"]


def test_partial_refund_twice_tracks_the_refunded_total(adapter, make_payment, sandbox):
    charge = make_payment(100.0)

    first = _refund(adapter, charge, 3000, key="run-1")
    second = _refund(adapter, charge, 2550, key="run-2")

    assert (first.refund.amount, second.refund.amount) == (3000, 2550)
    assert first.refund.charge_external_id == charge.id
    assert first.refund.status is RefundStatus.SUCCEEDED
    assert first.charge.amount_refunded == 3000
    assert second.charge.amount_refunded == 5550
    assert second.charge.status is ChargeStatus.SUCCEEDED
    assert [t["amount"] for t in _refund_transactions(sandbox)] == [Decimal("30.00"),
                                                                    Decimal("25.50")]
    invoice = sandbox.objects("invoices")[0]
    assert invoice["refundable_amount"] == Decimal("44.50")


def test_full_refund_when_amount_is_none(adapter, make_payment):
    charge = make_payment(42.0)
    result = _refund(adapter, charge, None)
    assert result.refund.amount == 4200
    assert result.charge.amount_refunded == 4200


def test_over_refund_is_rejected_and_changes_nothing(adapter, make_payment, sandbox):
    charge = make_payment(100.0)
    _refund(adapter, charge, 9000, key="run-1")

    with pytest.raises(GatewayRejected) as caught:
        _refund(adapter, charge, 1001, key="run-2")

    assert caught.value.code == "validation"
    assert "refundable amount" in caught.value.message
    assert len(_refund_transactions(sandbox)) == 1
    assert adapter.fetch(ObjectKind.CHARGE, charge.id).amount_refunded == 9000


def test_idempotent_replay_creates_one_refund(adapter, make_payment, sandbox):
    charge = make_payment(100.0)

    first = _refund(adapter, charge, 1000, key="run-7")
    replay = _refund(adapter, charge, 1000, key="run-7")

    assert replay.refund.external_id == first.refund.external_id
    assert len(_refund_transactions(sandbox)) == 1
    replayed = [r for r in sandbox.requests if r["path"].endswith("/refund")]
    assert [r["headers"]["Idempotency-Key"] for r in replayed] == ["run-7", "run-7"]


def test_same_key_with_a_different_body_is_rejected(adapter, make_payment, sandbox):
    charge = make_payment(100.0)
    _refund(adapter, charge, 1000, key="run-8")

    with pytest.raises(GatewayRejected) as caught:
        _refund(adapter, charge, 2000, key="run-8")

    assert caught.value.http_status == 400
    assert "Idempotency-Key" in caught.value.message
    assert len(_refund_transactions(sandbox)) == 1


def test_server_error_is_unavailable_and_nothing_was_refunded(adapter, make_payment, sandbox):
    charge = make_payment(100.0)
    sandbox.fail_next(1, status=500, path_prefix="/invoices")

    with pytest.raises(GatewayUnavailable) as caught:
        _refund(adapter, charge, 1000, key="run-9")

    assert caught.value.retryable
    assert _refund_transactions(sandbox) == []
    assert adapter.reconcile(operation=Operation.REFUND, target_id=charge.id,
                             idempotency_key="run-9") is None


def test_failure_after_commit_is_found_by_reconcile(adapter, make_payment, sandbox):
    charge = make_payment(100.0)
    _refund(adapter, charge, 500, key="earlier-run")
    sandbox.fail_next(1, status=502, path_prefix="/invoices", after_commit=True)

    with pytest.raises(GatewayUnavailable):
        _refund(adapter, charge, 1234, key="run-10", note="Sorry for the trouble")

    assert adapter.reconcile(operation=Operation.REFUND, target_id=charge.id,
                             idempotency_key="never-sent") is None
    found = adapter.reconcile(operation=Operation.REFUND, target_id=charge.id,
                              idempotency_key="run-10")
    assert found is not None
    assert (found.amount, found.charge_external_id) == (1234, charge.id)
    made = [t for t in _refund_transactions(sandbox) if t["amount"] == Decimal("12.34")]
    assert [found.external_id] == [t["id"] for t in made]
    retry = _refund(adapter, charge, 1234, key="run-10", note="Sorry for the trouble")
    assert retry.refund.external_id == found.external_id  # Recurly replays, no second refund
    assert len(_refund_transactions(sandbox)) == 2


@pytest.mark.parametrize("currency, major, minor_amount, refund_minor, refunded_major", [
    ("JPY", 1500.0, 1500, 499, 499.0),
    ("KWD", 12.345, 12345, 1001, 1.001),
])
def test_zero_and_three_decimal_currencies_are_exact(adapter, make_payment, sandbox, currency,
                                                     major, minor_amount, refund_minor,
                                                     refunded_major):
    charge = make_payment(major, currency)
    assert adapter.fetch(ObjectKind.CHARGE, charge.id).amount == minor_amount

    result = _refund(adapter, charge, refund_minor, currency=currency)

    assert result.refund.amount == refund_minor
    assert result.refund.currency == currency
    assert result.charge.amount_refunded == refund_minor
    sent = [r for r in sandbox.requests if r["path"].endswith("/refund")][-1]["body"]
    assert sent["amount"] == refunded_major
    assert _refund_transactions(sandbox)[0]["amount"] == Decimal(repr(refunded_major))


def test_refund_in_another_currency_is_refused_locally(adapter, make_payment, sandbox):
    charge = make_payment(10.0, "EUR")
    with pytest.raises(GatewayRejected) as caught:
        _refund(adapter, charge, 100, currency="USD")
    assert caught.value.code == "currency_mismatch"
    assert not any(r["path"].endswith("/refund") for r in sandbox.requests)


def test_reconcile_marker_lands_in_the_credit_invoice_notes(adapter, make_payment, sandbox):
    charge = make_payment(20.0)
    _refund(adapter, charge, 700, key="run-notes", note="Goodwill")
    credit = [i for i in sandbox.objects("invoices") if i["type"] == "credit"][0]
    assert credit["customer_notes"] == "Goodwill\nchargedesk-ref:run-notes"
    assert credit["total"] == Decimal("-7.00")

"""mappers.py on resources built by the SDK's own JSON caster (no server needed)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from recurly.resource import Resource

from backend.integrations.gateways.records import (ChargeStatus, InvoiceStatus, RefundStatus,
                                                   SubscriptionStatus)
from backend.integrations.gateways.recurly import mappers
from backend.money import MoneyError

NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)


def cast(payload: dict):
    """Exactly what the SDK does with a response body."""
    return Resource.cast_json(dict(payload))


def transaction(**fields):
    return cast({"object": "transaction", "id": "txn1", "type": "purchase", "currency": "USD",
                 "amount": 19.99, "status": "success", "success": True,
                 "account": {"object": "account_mini", "id": "acc1"},
                 "created_at": "2024-04-30T10:00:00Z", **fields})


@pytest.mark.parametrize("raw, expected", [
    ("success", ChargeStatus.SUCCEEDED), ("declined", ChargeStatus.FAILED),
    ("void", ChargeStatus.CANCELED), ("processing", ChargeStatus.PENDING),
    ("chargeback", ChargeStatus.UNKNOWN), ("brand_new_state", ChargeStatus.UNKNOWN),
    (None, ChargeStatus.UNKNOWN)])
def test_charge_status_table(raw, expected):
    record = mappers.charge(transaction(status=raw))
    assert record.status is expected
    assert record.amount_captured == (1999 if expected is ChargeStatus.SUCCEEDED else 0)


def test_authorization_is_capturable_and_times_are_utc():
    record = mappers.charge(transaction(type="authorization"))
    assert (record.status, record.amount_capturable) == (ChargeStatus.AUTHORIZED, 1999)
    assert record.created_at == datetime(2024, 4, 30, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, expected", [("success", RefundStatus.SUCCEEDED),
                                           ("error", RefundStatus.FAILED),
                                           ("mystery", RefundStatus.UNKNOWN)])
def test_refund_status_table(raw, expected):
    record = mappers.refund(transaction(type="refund", status=raw,
                                        original_transaction_id="txn0"))
    assert (record.status, record.charge_external_id) == (expected, "txn0")


@pytest.mark.parametrize("raw, expected, flag", [
    ("active", SubscriptionStatus.ACTIVE, False), ("canceled", SubscriptionStatus.ACTIVE, True),
    ("expired", SubscriptionStatus.EXPIRED, False), ("paused", SubscriptionStatus.PAUSED, False),
    ("future", SubscriptionStatus.UNKNOWN, False), ("zombie", SubscriptionStatus.UNKNOWN, False)])
def test_subscription_status_table(raw, expected, flag):
    sub = cast({"object": "subscription", "id": "s1", "state": raw, "currency": "JPY",
                "unit_amount": 1200, "quantity": 3, "plan": {"object": "plan_mini",
                                                             "code": "basic", "name": "Basic"}})
    record = mappers.subscription(sub, now=NOW)
    assert (record.status, record.cancel_at_period_end) == (expected, flag)
    assert (record.amount, record.quantity, record.price_external_id) == (1200, 3, "basic")


@pytest.mark.parametrize("raw, expected", [
    ("paid", InvoiceStatus.PAID), ("past_due", InvoiceStatus.OPEN),
    ("failed", InvoiceStatus.UNCOLLECTIBLE), ("voided", InvoiceStatus.VOID),
    ("something_else", InvoiceStatus.UNKNOWN)])
def test_invoice_status_table_and_missing_fields(raw, expected):
    record = mappers.invoice(cast({"object": "invoice", "id": "i1", "state": raw,
                                   "currency": "KWD", "total": 1.25}))
    assert (record.status, record.total, record.lines, record.tax_lines) == (
        expected, 1250, (), ())


@pytest.mark.parametrize("value, currency, minor_units", [
    (19.99, "USD", 1999), (0.1, "USD", 10), (1200.0, "JPY", 1200), (1.001, "KWD", 1001),
    (12.345, "KWD", 12345), (None, "USD", 0), (1e-2, "EUR", 1)])
def test_amounts_from_sdk_floats_are_exact(value, currency, minor_units):
    assert mappers.minor(value, currency) == minor_units


def test_more_decimals_than_the_currency_has_is_an_error():
    with pytest.raises(MoneyError):
        mappers.minor(10.5, "JPY")


@pytest.mark.parametrize("minor_units, currency, wire", [
    (1999, "USD", 19.99), (499, "JPY", 499.0), (1001, "KWD", 1.001), (10, "USD", 0.1)])
def test_wire_amounts_print_as_the_exact_decimal(minor_units, currency, wire):
    sent = mappers.wire_amount(minor_units, currency)
    assert sent == wire and repr(sent) == repr(wire)


def test_wire_amount_refuses_values_a_float_cannot_carry():
    with pytest.raises(MoneyError):
        mappers.wire_amount(12345678901234567891, "USD")


@pytest.mark.parametrize("value, country, expected", [
    ("DE123456789", None, "eu_vat"), ("EL123456789", None, "eu_vat"),
    ("GB123456789", None, "gb_vat"), ("CHE-123.456.789", None, "ch_vat"),
    ("123456789", "FR", "eu_vat"), ("123", None, "unknown")])
def test_vat_type(value, country, expected):
    assert mappers.vat_type(value, country) == expected


def test_tax_ids_dedupe_account_and_billing_info():
    account = cast({"object": "account", "id": "a1", "vat_number": "NL123",
                    "billing_info": {"object": "billing_info", "vat_number": "NL123"}})
    assert [t.external_id for t in mappers.tax_ids(account)] == ["a1:account_vat"]

from decimal import Decimal

import pytest

from backend.money import Money, MoneyError, exponent, format_money, to_decimal_string, to_minor


@pytest.mark.parametrize("currency,expected", [("USD", 2), ("jpy", 0), ("KWD", 3), ("KRW", 0), ("BHD", 3)])
def test_exponents(currency, expected):
    assert exponent(currency) == expected


@pytest.mark.parametrize("text,currency,minor", [
    ("10.99", "USD", 1099), ("0.01", "USD", 1), ("500", "JPY", 500), ("1.250", "KWD", 1250),
    ("1.25", "KWD", 1250), ("-3.00", "USD", -300), (Decimal("7.5"), "EUR", 750), (12, "USD", 1200),
])
def test_to_minor_is_exact(text, currency, minor):
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize("minor,currency,text", [(1099, "USD", "10.99"), (500, "JPY", "500"), (1250, "KWD", "1.250")])
def test_round_trip_to_decimal_string(minor, currency, text):
    assert to_decimal_string(minor, currency) == text
    assert to_minor(text, currency) == minor


@pytest.mark.parametrize("bad,currency", [("1.5", "JPY"), ("1.0001", "KWD"), ("10.999", "USD"), ("abc", "USD"),
                                          ("NaN", "USD"), ("1", "US"), ("1", "U$D")])
def test_to_minor_refuses_bad_input(bad, currency):
    with pytest.raises(MoneyError):
        to_minor(bad, currency)


def test_floats_are_refused():
    with pytest.raises(MoneyError, match="floats"):
        to_minor(10.99, "USD")


def test_formatting_with_babel():
    assert format_money(500, "USD") == "$5.00"
    assert format_money(500, "JPY") == "¥500"
    assert format_money(1250, "KWD").replace("\xa0", " ") in ("KWD 1.250", "KWD1.250")
    assert format_money(123456, "EUR", "de_DE").replace("\xa0", " ") == "1.234,56 €"


def test_arithmetic_refuses_to_mix_currencies():
    assert Money(500, "usd") + Money(250, "USD") == Money(750, "USD")
    assert Money(500, "USD") - Money(700, "USD") == Money(-200, "USD")
    assert Money(1, "USD") < Money(2, "USD")
    with pytest.raises(MoneyError, match="cannot mix USD and EUR"):
        Money(500, "USD") + Money(500, "EUR")
    with pytest.raises(MoneyError):
        Money(500, "USD") < Money(500, "JPY")
    with pytest.raises(MoneyError):
        Money(5.0, "USD")

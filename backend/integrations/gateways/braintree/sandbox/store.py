"""The sandbox's state: objects by kind, a movable clock, seeded plans/discounts/merchant accounts.

Also the two ways a Braintree call says no: ApiError (422 <api-error-response> with validation
errors) and Declined (422 carrying the stored, declined transaction).
"""
from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

KINDS = ("customer", "payment_method", "transaction", "plan", "discount", "subscription",
         "dispute")

MERCHANT_ACCOUNTS = {"chargedesk_usd": "USD", "chargedesk_eur": "EUR", "chargedesk_jpy": "JPY",
                     "chargedesk_kwd": "KWD"}
DEFAULT_MERCHANT_ACCOUNT = "chargedesk_usd"
_EXPONENTS = {"JPY": 0, "KWD": 3}


class ApiError(Exception):
    """A validation failure: becomes <api-error-response> with one error under `scope`."""

    def __init__(self, code: str, message: str, *, scope: str = "transaction",
                 attribute: str = "base"):
        super().__init__(message)
        self.code, self.message, self.scope, self.attribute = code, message, scope, attribute


class Declined(Exception):
    """A processor decline: the transaction exists, and the response carries it."""

    def __init__(self, transaction: dict[str, Any]):
        super().__init__(transaction["processor_response_text"])
        self.transaction = transaction


def quantize(amount: Any, currency: str, *, scope: str = "transaction") -> Decimal:
    """A decimal amount valid for `currency`, or ApiError 81503 (format) / 81531 (<= 0)."""
    exp = _EXPONENTS.get(currency, 2)
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise ApiError("81503", "Amount is an invalid format.", scope=scope,
                       attribute="amount") from None
    if not value.is_finite() or value != value.quantize(Decimal(1).scaleb(-exp)):
        raise ApiError("81503", "Amount is an invalid format.", scope=scope, attribute="amount")
    if value <= 0:
        raise ApiError("81531", "Amount must be greater than zero.", scope=scope,
                       attribute="amount")
    return value.quantize(Decimal(1).scaleb(-exp))


def seed_plans() -> dict[str, dict[str, Any]]:
    """Two monthly plans, one of them inheriting a discount (as set up in a Control Panel)."""
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    base = {"billing_frequency": 1, "currency_iso_code": "USD", "number_of_billing_cycles": None,
            "trial_period": False, "trial_duration": None, "trial_duration_unit": None,
            "created_at": now, "updated_at": now, "add_ons": []}
    return {
        "basic_monthly": {**base, "id": "basic_monthly", "name": "Basic monthly",
                          "price": Decimal("10.00"), "discounts": []},
        "pro_monthly": {**base, "id": "pro_monthly", "name": "Pro monthly",
                        "price": Decimal("30.00"), "discounts": []},
    }


def seed_discounts() -> dict[str, dict[str, Any]]:
    """Discounts are defined once per merchant and added to subscriptions by inherited_from_id."""
    base = {"never_expires": True, "number_of_billing_cycles": None, "quantity": 1}
    return {
        "launch10": {**base, "id": "launch10", "name": "Launch offer", "amount": Decimal("10.00"),
                     "description": "10.00 off"},
        "loyal5": {**base, "id": "loyal5", "name": "Loyalty", "amount": Decimal("5.00"),
                   "description": "5.00 off"},
    }


@dataclass
class FailureRule:
    """Fail the next `remaining` requests whose path starts with `path_prefix`."""

    remaining: int
    status: int
    path_prefix: str
    after_commit: bool


@dataclass
class Store:
    """Everything the sandbox knows; guarded by `lock` (the server is threaded)."""

    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    clock_offset: dt.timedelta = dt.timedelta(0)
    frozen_at: dt.datetime | None = None
    failures: list[FailureRule] = field(default_factory=list)
    webhook_urls: list[str] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _counter: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty every kind, reseed plans and discounts, clear failures and endpoints."""
        self.objects = {kind: {} for kind in KINDS}
        self.objects["plan"] = seed_plans()
        self.objects["discount"] = seed_discounts()
        self.clock_offset = dt.timedelta(0)
        self.frozen_at = None
        self.failures.clear()
        self.webhook_urls.clear()
        self.deliveries.clear()

    def now(self) -> dt.datetime:
        """Braintree timestamps have whole seconds."""
        moment = (self.frozen_at or dt.datetime.now(dt.timezone.utc)) + self.clock_offset
        return moment.replace(microsecond=0)

    def new_id(self) -> str:
        """Short lowercase ids like Braintree's ('k3j9x2ab')."""
        return f"{secrets.token_hex(3)}{next(self._counter):02d}"

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        return self.objects[kind].get(object_id)

    def put(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[kind][obj["id"]] = obj
        return obj

    def take_failure(self, path: str, *, after_commit: bool) -> int | None:
        """The status to fail this request with, consuming one use of the first matching rule."""
        for rule in self.failures:
            if rule.after_commit == after_commit and path.startswith(rule.path_prefix):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.failures.remove(rule)
                return rule.status
        return None

"""What every action module shares: the rejection error, the explicit context, small checks.

An action module is plain functions over explicit inputs (no Flask globals, no vendor SDK):

    KIND, TARGET_TYPES (first = default), OPERATION, REASON_REQUIRED, LIMITED_BY_REFUND_LIMIT
    supported(target_type, capabilities) -> bool        the gateway can do it at all
    available(target_type, row) -> bool                 the object's state allows it now
    validate(target_type, row, params, ctx) -> dict     normalized params, or ActionRejected
    snapshot(target_type, row) -> dict                  "before" amounts/state for the audit trail
    perform(adapter, run) -> list[BillingRecord]        the gateway call(s), keyed by run.id
    describe(run, records) -> str                       one line for notes and the audit trail
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from marshmallow import Schema, ValidationError

from ..auth.principal import Principal
from ..integrations.gateways.contract import Capability
from ..integrations.gateways.records import BillingRecord
from ..money import format_money
from ..tenancy import TenantScope


class ActionRejected(Exception):
    """A request we refuse before anything is queued; `message` is written for a person."""

    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


@dataclass(frozen=True)
class ActionContext:
    """Everything validation may consult besides the target row, passed explicitly."""

    principal: Principal
    connection_kind: str
    capabilities: frozenset[Capability]
    account_currency: str
    scope: TenantScope | None = None  # related rows (existing tax IDs, a customer's subscriptions)


def load_params(schema: type[Schema], params: Any, kind: str) -> dict:
    """Params through the action's schema; unknown or malformed ones are a 422 with field errors."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ActionRejected(422, f"params of a {kind} must be an object", {"params": ["Not an object."]})
    try:
        return schema().load(params)
    except ValidationError as exc:
        fields_named = ", ".join(sorted(str(k) for k in exc.messages)) if isinstance(exc.messages, dict) else ""
        raise ActionRejected(422, f"Invalid params for a {kind}: check {fields_named or 'params'}.",
                             {"params": exc.messages}) from None


def require(ctx: ActionContext, needed: Iterable[Capability], doing: str) -> None:
    """422 unless the connected gateway offers every capability `doing` needs."""
    missing = [c for c in needed if c not in ctx.capabilities]
    if missing:
        raise ActionRejected(422, f"{ctx.connection_kind.capitalize()} cannot {doing}.",
                             {"capabilities": [str(c) for c in missing]})


def money(amount: int | None, currency: str | None) -> str:
    """$5.00, ¥500 ... for messages; falls back to the raw numbers for odd currencies."""
    if amount is None or not currency:
        return "an unknown amount"
    try:
        return format_money(amount, currency)
    except Exception:  # noqa: BLE001 - a message must never fail because of formatting
        return f"{amount} {currency} (minor units)"


def first(records: Iterable[BillingRecord], record_type: type) -> Any:
    """The first record of a type in a list of gateway results, or None."""
    return next((r for r in records if isinstance(r, record_type)), None)


def conflict(message: str) -> ActionRejected:
    """The object is in a state that does not allow the action (409)."""
    return ActionRejected(409, message)


def invalid(message: str, field: str = "params") -> ActionRejected:
    return ActionRejected(422, message, {field: [message]})

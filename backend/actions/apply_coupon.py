"""Apply a coupon or promotion code to a subscription, or to a customer's live subscriptions."""
from __future__ import annotations

from marshmallow import Schema, fields, validate as v

from ..integrations.gateways.contract import Capability, Operation
from ..integrations.gateways.errors import GatewayError
from ..integrations.gateways.records import ObjectKind, SubscriptionRecord
from ..models import Subscription
from .base import ActionContext, conflict, first, load_params, require

KIND = "apply_coupon"
TARGET_TYPES = ("subscription", "customer")
OPERATION = Operation.APPLY_COUPON
REASON_REQUIRED = False
LIMITED_BY_REFUND_LIMIT = False
ENDED = ("canceled", "expired")
CAPABILITY = {"subscription": Capability.COUPON_ON_SUBSCRIPTION, "customer": Capability.COUPON_ON_CUSTOMER}


class Params(Schema):
    code = fields.String(required=True, validate=v.Length(1, 200),
                         metadata={"description": "Coupon id or promotion code, e.g. SAVE20"})


def supported(target_type: str, capabilities) -> bool:
    return CAPABILITY[target_type] in capabilities


def available(target_type: str, row) -> bool:
    if target_type == "customer":
        return row.deleted_at is None
    return row.status not in ENDED


def validate(target_type: str, row, params, ctx: ActionContext) -> dict:
    code = load_params(Params, params, KIND)["code"].strip()
    if target_type == "customer":
        if row.deleted_at is not None:
            raise conflict("This customer was deleted at the gateway.")
        require(ctx, [Capability.COUPON_ON_CUSTOMER], "apply coupons to customers")
        return {"code": code, "subscription_ids": _live_subscriptions(ctx, row)}
    if row.status in ENDED:
        raise conflict(f"This subscription is {row.status}; a coupon cannot be applied to it.")
    if code in (row.discount_codes or []):
        raise conflict(f"{code} is already applied to this subscription.")
    require(ctx, [Capability.COUPON_ON_SUBSCRIPTION], "apply coupons to subscriptions")
    return {"code": code}


def _live_subscriptions(ctx: ActionContext, customer) -> list[str]:
    """External ids of the customer's mirrored live subscriptions, refreshed after the action."""
    if ctx.scope is None:
        return []
    rows = ctx.scope.all(Subscription, Subscription.customer_id == customer.id,
                         Subscription.status.not_in(ENDED), order_by=Subscription.id)
    return [s.external_id for s in rows]


def snapshot(target_type: str, row) -> dict:
    if target_type == "customer":
        return {"customer": row.external_id}
    return {"status": row.status, "discount_codes": list(row.discount_codes or [])}


def perform(adapter, run) -> list:
    applied = adapter.apply_coupon(target_kind=ObjectKind(run.target_type), target_id=run.target_external_id,
                                   code=run.params["code"], idempotency_key=run.id)
    return [applied] + _refreshed_subscriptions(adapter, run.params.get("subscription_ids") or [])


def _refreshed_subscriptions(adapter, external_ids: list[str]) -> list:
    """Best effort: the mirror should show the new discounts now; sync catches up otherwise."""
    records = []
    for external_id in external_ids:
        try:
            records.append(adapter.fetch(ObjectKind.SUBSCRIPTION, external_id))
        except GatewayError:
            continue
    return records


def describe(run, records) -> str:
    code = run.params["code"]
    if run.target_type == "customer":
        return f"Applied coupon {code} to the customer"
    sub = first(records, SubscriptionRecord)
    name = f"the {sub.plan_name} subscription" if sub and sub.plan_name else "the subscription"
    return f"Applied coupon {code} to {name}"

"""Start a subscription for a customer on a gateway price, with an optional trial and coupon."""
from __future__ import annotations

from marshmallow import Schema, fields, validate as v

from ..integrations.gateways.contract import Capability, Operation
from ..integrations.gateways.records import SubscriptionRecord
from .base import ActionContext, conflict, first, load_params, money, require

KIND = "create_subscription"
TARGET_TYPES = ("customer",)
OPERATION = Operation.CREATE_SUBSCRIPTION
REASON_REQUIRED = False
LIMITED_BY_REFUND_LIMIT = False


class Params(Schema):
    price_id = fields.String(required=True, validate=v.Length(1, 255),
                             metadata={"description": "The gateway's price/plan id"})
    quantity = fields.Integer(strict=True, load_default=1, validate=v.Range(1, 10_000))
    trial_days = fields.Integer(strict=True, validate=v.Range(1, 730))
    coupon = fields.String(validate=v.Length(1, 200))


def supported(target_type: str, capabilities) -> bool:
    return Capability.CREATE_SUBSCRIPTION in capabilities


def available(target_type: str, customer) -> bool:
    return customer.deleted_at is None


def validate(target_type: str, customer, params, ctx: ActionContext) -> dict:
    values = load_params(Params, params, KIND)
    if customer.deleted_at is not None:
        raise conflict("This customer was deleted at the gateway.")
    needed = [Capability.CREATE_SUBSCRIPTION]
    needed += [Capability.SUBSCRIPTION_TRIAL] if values.get("trial_days") else []
    needed += [Capability.COUPON_ON_SUBSCRIPTION] if values.get("coupon") else []
    require(ctx, needed, "create subscriptions with these options")
    return {"price_id": values["price_id"].strip(), "quantity": values["quantity"],
            "trial_days": values.get("trial_days"), "coupon": values.get("coupon")}


def snapshot(target_type: str, customer) -> dict:
    return {"customer": customer.external_id}


def perform(adapter, run) -> list:
    p = run.params
    return [adapter.create_subscription(customer_id=run.target_external_id, price_id=p["price_id"],
                                        quantity=p["quantity"], trial_days=p.get("trial_days"),
                                        coupon=p.get("coupon"), idempotency_key=run.id)]


def describe(run, records) -> str:
    sub = first(records, SubscriptionRecord)
    plan = (sub.plan_name if sub else None) or run.params["price_id"]
    text = f"Started a subscription to {plan}"
    if sub and sub.amount is not None and sub.currency:
        text += f" ({money(sub.amount, sub.currency)}/{sub.interval or 'period'})"
    return text + (f" with a {run.params['trial_days']}-day trial" if run.params.get("trial_days") else "")

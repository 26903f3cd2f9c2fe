"""Cancel a subscription now (optionally prorating unused time) or at the end of its period."""
from __future__ import annotations

from marshmallow import Schema, fields

from ..integrations.gateways.contract import Capability, Operation
from ..integrations.gateways.records import SubscriptionRecord
from .base import ActionContext, conflict, first, invalid, load_params, require

KIND = "cancel_subscription"
TARGET_TYPES = ("subscription",)
OPERATION = Operation.CANCEL_SUBSCRIPTION
REASON_REQUIRED = True
LIMITED_BY_REFUND_LIMIT = False
ENDED = ("canceled", "expired")


class Params(Schema):
    at_period_end = fields.Boolean(load_default=False)
    prorate = fields.Boolean(load_default=False,
                             metadata={"description": "Credit unused time (only when canceling now)"})


def supported(target_type: str, capabilities) -> bool:
    return bool({Capability.CANCEL_NOW, Capability.CANCEL_AT_PERIOD_END} & set(capabilities))


def available(target_type: str, subscription) -> bool:
    return subscription.status not in ENDED


def validate(target_type: str, subscription, params, ctx: ActionContext) -> dict:
    values = load_params(Params, params, KIND)
    if subscription.status in ENDED:
        raise conflict(f"This subscription is already {subscription.status}.")
    at_end, prorate = values["at_period_end"], values["prorate"]
    if at_end and subscription.cancel_at_period_end:
        raise conflict("This subscription is already set to cancel at the end of its period.")
    if at_end and prorate:
        raise invalid("prorate applies only when canceling now, not at the end of the period.", "prorate")
    if at_end:
        require(ctx, [Capability.CANCEL_AT_PERIOD_END], "cancel at the end of the period")
    else:
        require(ctx, [Capability.CANCEL_NOW] + ([Capability.CANCEL_PRORATE] if prorate else []),
                "cancel now with proration" if prorate else "cancel subscriptions immediately")
    return {"at_period_end": at_end, "prorate": prorate}


def snapshot(target_type: str, subscription) -> dict:
    return {"status": subscription.status, "plan": subscription.plan_name,
            "amount": subscription.amount_minor, "currency": subscription.currency,
            "cancel_at_period_end": subscription.cancel_at_period_end}


def perform(adapter, run) -> list:
    return [adapter.cancel_subscription(subscription_id=run.target_external_id,
                                        at_period_end=run.params["at_period_end"],
                                        prorate=run.params["prorate"], idempotency_key=run.id,
                                        reason=_reason(run))]


def _reason(run) -> str | None:
    """The agent's reason as the gateway should record it: their words, else the reason code."""
    return (run.reason_text or "").strip() or run.reason_code


def describe(run, records) -> str:
    subscription = first(records, SubscriptionRecord)
    name = f"the {subscription.plan_name} subscription" if subscription and subscription.plan_name \
        else "the subscription"
    if run.params["at_period_end"]:
        end = subscription.current_period_end if subscription else None
        return f"Set {name} to cancel at the end of the period" + (f" ({end:%b %d, %Y})" if end else "")
    return f"Canceled {name} now" + (" with proration" if run.params["prorate"] else "")

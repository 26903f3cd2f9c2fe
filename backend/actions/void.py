"""Void (release) an authorization that was never captured."""
from __future__ import annotations

from marshmallow import Schema

from ..integrations.gateways.contract import Capability, Operation
from .base import ActionContext, conflict, load_params, money, require

KIND = "void"
TARGET_TYPES = ("charge",)
OPERATION = Operation.VOID
REASON_REQUIRED = False
LIMITED_BY_REFUND_LIMIT = False


class Params(Schema):
    pass


def supported(target_type: str, capabilities) -> bool:
    return Capability.VOID in capabilities


def available(target_type: str, charge) -> bool:
    return charge.status == "authorized"


def validate(target_type: str, charge, params, ctx: ActionContext) -> dict:
    load_params(Params, params, KIND)
    if charge.status == "succeeded":
        raise conflict("This charge has already been captured; refund it instead of voiding it.")
    if charge.status != "authorized":
        raise conflict(f"Only an authorized charge can be voided; this one is {charge.status}.")
    require(ctx, [Capability.VOID], "void authorizations")
    return {"amount": charge.amount_capturable_minor or charge.amount_minor, "currency": charge.currency}


def snapshot(target_type: str, charge) -> dict:
    return {"amount": charge.amount_minor, "amount_capturable": charge.amount_capturable_minor,
            "currency": charge.currency, "status": charge.status}


def perform(adapter, run) -> list:
    return [adapter.void(charge_id=run.target_external_id, idempotency_key=run.id)]


def describe(run, records) -> str:
    return f"Voided the {money(run.params['amount'], run.params['currency'])} authorization"

"""Capture an authorized charge, fully or partly."""
from __future__ import annotations

from marshmallow import Schema, fields, validate as v

from ..integrations.gateways.contract import Capability, Operation
from ..integrations.gateways.records import ChargeRecord
from .base import ActionContext, conflict, first, invalid, load_params, money, require

KIND = "capture"
TARGET_TYPES = ("charge",)
OPERATION = Operation.CAPTURE
REASON_REQUIRED = False
LIMITED_BY_REFUND_LIMIT = False


class Params(Schema):
    amount = fields.Integer(strict=True, validate=v.Range(min=1),
                            metadata={"description": "Minor units; omit to capture the whole authorization"})


def supported(target_type: str, capabilities) -> bool:
    return Capability.CAPTURE in capabilities


def available(target_type: str, charge) -> bool:
    return charge.status == "authorized" and charge.amount_capturable_minor > 0


def _check_state(charge) -> int:
    if charge.status == "succeeded":
        raise conflict("This charge has already been captured.")
    if charge.status != "authorized" or charge.amount_capturable_minor <= 0:
        raise conflict(f"Only an authorized charge can be captured; this one is {charge.status}.")
    return charge.amount_capturable_minor


def validate(target_type: str, charge, params, ctx: ActionContext) -> dict:
    values = load_params(Params, params, KIND)
    capturable = _check_state(charge)
    amount = values.get("amount", capturable)
    if amount > capturable:
        raise invalid(f"You can capture at most {money(capturable, charge.currency)}; "
                      f"{money(amount, charge.currency)} is more.", "amount")
    partial = amount < capturable
    require(ctx, [Capability.CAPTURE] + ([Capability.PARTIAL_CAPTURE] if partial else []),
            "capture part of an authorization" if partial else "capture charges")
    return {"amount": amount, "currency": charge.currency, "full": not partial}


def snapshot(target_type: str, charge) -> dict:
    return {"amount": charge.amount_minor, "amount_capturable": charge.amount_capturable_minor,
            "amount_captured": charge.amount_captured_minor, "currency": charge.currency,
            "status": charge.status}


def perform(adapter, run) -> list:
    return [adapter.capture(charge_id=run.target_external_id, amount=run.params["amount"],
                            idempotency_key=run.id)]


def describe(run, records) -> str:
    charge = first(records, ChargeRecord)
    text = f"Captured {money(run.params['amount'], run.params['currency'])}"
    return text + (f" of a {money(charge.amount, charge.currency)} authorization" if charge else "")

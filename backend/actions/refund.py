"""Refund a charge, fully or partly, in the charge's currency (integer minor units)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate as v

from ..integrations.gateways.contract import Capability, Operation
from ..integrations.gateways.records import ChargeRecord, RefundRecord
from .base import ActionContext, conflict, first, invalid, load_params, money, require

KIND = "refund"
TARGET_TYPES = ("charge",)
OPERATION = Operation.REFUND
REASON_REQUIRED = True
LIMITED_BY_REFUND_LIMIT = True  # above the requester's limit it waits for approval


class Params(Schema):
    amount = fields.Integer(strict=True, validate=v.Range(min=1),
                            metadata={"description": "Minor units of the charge's currency; omit for all that is left"})
    currency = fields.String(metadata={"description": "Optional; must be the charge's currency"})


def refundable(charge) -> int:
    """Captured minus already refunded, never negative."""
    return max(charge.amount_captured_minor - charge.amount_refunded_minor, 0)


def supported(target_type: str, capabilities) -> bool:
    return Capability.REFUND in capabilities


def available(target_type: str, charge) -> bool:
    return charge.status == "succeeded" and refundable(charge) > 0


def _check_state(charge) -> int:
    if charge.status == "authorized":
        raise conflict("This charge is only authorized, not captured: void it (or capture it) instead.")
    if charge.status != "succeeded":
        raise conflict(f"Only a succeeded charge can be refunded; this one is {charge.status}.")
    remaining = refundable(charge)
    if remaining <= 0:
        raise conflict("This charge has already been refunded in full.")
    return remaining


def validate(target_type: str, charge, params, ctx: ActionContext) -> dict:
    values = load_params(Params, params, KIND)
    remaining = _check_state(charge)
    if values.get("currency") and values["currency"].upper() != charge.currency:
        raise invalid(f"This charge is in {charge.currency}; refund amounts are in {charge.currency} "
                      f"minor units.", "currency")
    amount = values.get("amount", remaining)
    if amount > remaining:
        raise invalid(f"You can refund at most {money(remaining, charge.currency)} of this charge; "
                      f"{money(amount, charge.currency)} is more.", "amount")
    partial = amount < remaining
    require(ctx, [Capability.REFUND] + ([Capability.PARTIAL_REFUND] if partial else []),
            "make partial refunds" if partial else "refund charges")
    return {"amount": amount, "currency": charge.currency, "full": not partial}


def snapshot(target_type: str, charge) -> dict:
    return {"amount": charge.amount_minor, "amount_captured": charge.amount_captured_minor,
            "amount_refunded": charge.amount_refunded_minor, "currency": charge.currency,
            "status": charge.status}


def perform(adapter, run) -> list:
    """The exact approved amount (never "whatever is left now"), keyed by the run id."""
    result = adapter.refund(charge_id=run.target_external_id, amount=run.params["amount"],
                            currency=run.params["currency"], reason=run.reason_code,
                            note=run.reason_text, idempotency_key=run.id)
    return [r for r in (result.charge, result.refund) if r is not None]


def describe(run, records) -> str:
    refund = first(records, RefundRecord)
    charge = first(records, ChargeRecord)
    amount = refund.amount if refund else run.params["amount"]
    text = f"Refunded {money(amount, run.params['currency'])}"
    return text + (f" of {money(charge.amount, charge.currency)}" if charge else "")

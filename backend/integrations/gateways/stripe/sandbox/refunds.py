"""Refunds with Stripe's rules: captured charges only, never more than what is left, reasons enum."""
from __future__ import annotations

from . import charging
from .errors import invalid, unexpected_state
from .forms import get_enum, get_int, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call

_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _target_charge(call: Call) -> dict:
    charge_id, intent_id = get_str(call.params, "charge"), get_str(call.params, "payment_intent")
    if not charge_id and not intent_id:
        raise invalid("One of the following params should be provided for this request: payment_intent or charge.",
                      code="parameter_missing")
    if intent_id:
        intent = call.get("payment_intent", intent_id, param="payment_intent")
        if intent["status"] != "succeeded" or not intent.get("latest_charge"):
            raise unexpected_state(f"This PaymentIntent ({intent_id}) does not have a successful charge to "
                                   "refund.", "charge_not_refundable", param="payment_intent")
        if charge_id and charge_id != intent["latest_charge"]:
            raise invalid(f"Charge {charge_id} does not belong to PaymentIntent {intent_id}.", param="charge")
        charge_id = intent["latest_charge"]
    return call.get("charge", charge_id, param="charge")


def check_refundable(call: Call, charge: dict, amount: int | None) -> int:
    """The amount to refund (default: all that is left) or Stripe's 400 explaining why not."""
    cid, currency = charge["id"], charge["currency"]
    if _releasable(charge) and amount in (None, charge["amount"]):
        return charge["amount"]
    if charge["status"] != "succeeded" or not charge["captured"]:
        state = charge["status"] if charge["status"] != "succeeded" else "uncaptured"
        raise unexpected_state(f"Charge {cid} cannot be refunded because it is {state}. Uncaptured payments are "
                               "released by canceling the PaymentIntent.", "charge_not_refundable", param="charge")
    if _lost_dispute(call, cid):
        raise unexpected_state(f"Charge {cid} has been charged back; cannot issue a refund.", "charge_disputed",
                               param="charge")
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise unexpected_state(f"Charge {cid} has already been refunded.", "charge_already_refunded", param="charge")
    amount = remaining if amount is None else amount
    if amount < 1:
        raise invalid("Refund amount must be greater than zero.", param="amount", code="parameter_invalid_integer")
    if amount > remaining:
        whole = charge["amount_refunded"] == 0
        raise invalid(f"Refund amount ({charging.money_text(amount, currency)}) is greater than "
                      f"{'charge amount' if whole else 'unrefunded amount on charge'} "
                      f"({charging.money_text(remaining, currency)})", param="amount", code="amount_too_large")
    return amount


def _releasable(charge: dict) -> bool:
    """An uncaptured legacy charge (no PaymentIntent) is released by refunding it in full, as in Stripe."""
    return (charge["status"] == "succeeded" and not charge["captured"] and not charge.get("payment_intent")
            and charge["amount_refunded"] == 0)


def _lost_dispute(call: Call, charge_id: str) -> bool:
    """A chargeback (not a mere inquiry) blocks refunds, as in Stripe."""
    return any(dispute["charge"] == charge_id and dispute["status"] in ("needs_response", "under_review", "lost")
               for dispute in call.store.all("dispute"))


@route("POST", "/v1/refunds", ("charge", "payment_intent", "amount", "reason", "metadata", "currency",
                               "customer", "instructions_email", "origin", "refund_application_fee",
                               "reverse_transfer"))
def create_refund(call: Call) -> dict:
    params = call.params
    reason = get_enum(params, "reason", _REASONS)
    charge = _target_charge(call)
    amount = check_refundable(call, charge, get_int(params, "amount"))
    refund, previous = charging.insert_refund(call, charge, amount, reason=reason, release=_releasable(charge),
                                              metadata=merge_metadata({}, params))
    call.emit("refund.created", refund)
    call.emit("charge.refunded", charge, previous)
    return refund


@route("GET", "/v1/refunds/<refund_id>")
def retrieve_refund(call: Call, refund_id: str) -> dict:
    return call.get("refund", refund_id, param="refund")


@route("POST", "/v1/refunds/<refund_id>", ("metadata",))
def update_refund(call: Call, refund_id: str) -> dict:
    refund = call.get("refund", refund_id, param="refund")
    call.emit("refund.updated", refund, call.update(refund, {"metadata": merge_metadata(refund.get("metadata"), call.params)}))
    return refund


@route("POST", "/v1/refunds/<refund_id>/cancel")
def cancel_refund(call: Call, refund_id: str) -> dict:
    refund = call.get("refund", refund_id, param="refund")
    raise unexpected_state(f"Can't cancel a refund that has status {refund['status']}. Only refunds with "
                           "status requires_action can be canceled.", None)


@route("GET", "/v1/refunds", LIST_PARAMS + ("charge", "payment_intent"))
def list_refunds(call: Call) -> dict:
    where = {"charge": get_str(call.params, "charge"), "payment_intent": get_str(call.params, "payment_intent")}
    return list_response(call, "refund", "/v1/refunds", where=where)

"""Charges: retrieve/list/search, legacy create (source/customer, capture=false) and capture."""
from __future__ import annotations

from . import charging
from .errors import invalid, missing_param, unexpected_state
from .forms import get_bool, get_int, get_str, merge_metadata
from .lists import list_response
from .payment_intents import capture_intent
from .payment_methods import resolve_pm
from .routing import LIST_PARAMS, route
from .search import search_response
from .state import Call


def default_payment_method(call: Call, customer: dict) -> dict | None:
    """What Stripe charges when no source is named: invoice default PM, else default source."""
    settings = customer.get("invoice_settings") or {}
    for pm_id in (settings.get("default_payment_method"), customer.get("default_source")):
        pm = call.store.get("payment_method", pm_id)
        if pm is not None:
            return pm
    return None


def _source(call: Call, customer: dict | None) -> dict:
    source = get_str(call.params, "source")
    if source:
        return resolve_pm(call, source, param="source")
    pm = default_payment_method(call, customer) if customer else None
    if pm is None:
        if customer:
            raise invalid("Cannot charge a customer that has no active card", param="card", code="missing")
        raise missing_param("source")
    return pm


@route("POST", "/v1/charges", ("amount", "currency", "customer", "source", "capture", "description", "metadata",
                               "receipt_email", "statement_descriptor", "statement_descriptor_suffix", "shipping",
                               "transfer_group", "on_behalf_of", "application_fee_amount", "transfer_data",
                               "radar_options", "application_fee", "destination"))
def create_charge(call: Call) -> dict:
    params = call.params
    amount = get_int(params, "amount", required=True)
    currency = get_str(params, "currency", required=True).lower()
    charging.check_amount(amount, currency)
    customer_id = get_str(params, "customer")
    customer = call.get("customer", customer_id, param="customer") if customer_id else None
    pm = _source(call, customer)
    charge, decline = charging.attempt_charge(
        call, amount=amount, currency=currency, pm=pm, capture=get_bool(params, "capture", default=True),
        customer=customer_id, description=get_str(params, "description"), metadata=merge_metadata({}, params),
        receipt_email=get_str(params, "receipt_email"))
    if decline is not None:
        raise charging.decline_error(call, decline, charge, pm)
    return charge


@route("GET", "/v1/charges/<charge_id>")
def retrieve_charge(call: Call, charge_id: str) -> dict:
    return call.get("charge", charge_id, param="id")


@route("POST", "/v1/charges/<charge_id>", ("description", "metadata", "receipt_email", "fraud_details",
                                           "shipping", "transfer_group"))
def update_charge(call: Call, charge_id: str) -> dict:
    charge = call.get("charge", charge_id)
    changes = {"metadata": merge_metadata(charge.get("metadata"), call.params)}
    for name in ("description", "receipt_email", "transfer_group"):
        if name in call.params:
            changes[name] = get_str(call.params, name)
    call.emit("charge.updated", charge, call.update(charge, changes))
    return charge


@route("POST", "/v1/charges/<charge_id>/capture", ("amount", "receipt_email", "statement_descriptor",
                                                   "statement_descriptor_suffix", "application_fee",
                                                   "application_fee_amount", "transfer_data", "transfer_group"))
def capture_charge(call: Call, charge_id: str) -> dict:
    charge = call.get("charge", charge_id)
    if charge["captured"]:
        raise unexpected_state(f"Charge {charge_id} has already been captured.", "charge_already_captured")
    if charge["status"] != "succeeded" or charge["refunded"]:
        raise unexpected_state(f"Charge {charge_id} cannot be captured because it has a status of "
                               f"{'refunded' if charge['refunded'] else charge['status']}.", "charge_expired_for_capture")
    amount = get_int(call.params, "amount")
    if charge.get("payment_intent"):
        capture_intent(call, call.get("payment_intent", charge["payment_intent"]), amount, param="amount")
        return charge
    amount = charge["amount"] if amount is None else amount
    if not 1 <= amount <= charge["amount"]:
        raise invalid(f"Amount to capture ({charging.money_text(amount, charge['currency'])}) is greater than "
                      f"the authorized amount ({charging.money_text(charge['amount'], charge['currency'])}).",
                      param="amount", code="amount_too_large")
    charging.capture_charge_amount(call, charge, amount)
    return charge


@route("GET", "/v1/charges", LIST_PARAMS + ("customer", "payment_intent", "transfer_group"))
def list_charges(call: Call) -> dict:
    where = {"customer": get_str(call.params, "customer"),
             "payment_intent": get_str(call.params, "payment_intent"),
             "transfer_group": get_str(call.params, "transfer_group")}
    return list_response(call, "charge", "/v1/charges", where=where)


@route("GET", "/v1/charges/search", ("query", "limit", "page"))
def search_charges(call: Call) -> dict:
    return search_response(call, "charge", "/v1/charges/search")


@route("GET", "/v1/charges/<charge_id>/refunds", LIST_PARAMS)
def list_charge_refunds(call: Call, charge_id: str) -> dict:
    call.get("charge", charge_id, param="charge")
    return list_response(call, "refund", f"/v1/charges/{charge_id}/refunds", where={"charge": charge_id})

"""PaymentMethods: create from card numbers or tokens, magic test ids, attach/detach, list."""
from __future__ import annotations

from . import cards
from .errors import invalid, not_found
from .forms import get_dict, get_enum, get_int, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call


def resolve_pm(call: Call, pm_id: str, *, param: str = "payment_method") -> dict:
    """A stored PaymentMethod, or a fresh one for a magic id (`pm_card_visa`, `tok_visa`)."""
    found = call.store.get("payment_method", pm_id)
    if found is not None:
        return found
    number = cards.magic_number(pm_id)
    if number is None:
        raise not_found("PaymentMethod", pm_id, param=param)
    return cards.create_card_pm(call, number)


def attach(call: Call, pm: dict, customer: dict) -> dict:
    """Attach `pm` to `customer`; cards that fail verification decline here like in Stripe."""
    if pm.get("customer") == customer["id"]:
        return pm
    if pm.get("customer"):
        raise invalid("The payment method you provided has already been attached to a customer.",
                      param="payment_method")
    decline = cards.decline_for(call, pm["id"])
    if decline is not None and decline.on_attach:
        raise cards.card_error(decline.message, decline.code, decline_code=decline.decline_code)
    call.update(pm, {"customer": customer["id"]})
    call.emit("payment_method.attached", pm)
    return pm


def customer_pm(call: Call, customer: dict, pm_id: str, param: str) -> dict:
    """A PaymentMethod that must belong to `customer` (magic ids get attached on the fly)."""
    if cards.magic_number(pm_id) and call.store.get("payment_method", pm_id) is None:
        return attach(call, resolve_pm(call, pm_id, param=param), customer)
    pm = call.store.get("payment_method", pm_id)
    if pm is None or pm.get("customer") != customer["id"]:
        raise invalid(f"The customer does not have a payment method with the ID {pm_id}. The payment "
                      "method must be attached to the customer.", param=param, code="resource_missing")
    return pm


def _card_number(call: Call, card: dict) -> tuple[str, int, int]:
    token = card.get("token")
    if token:
        number = cards.magic_number(token)
        if number is None:
            raise not_found("token", token, param="card[token]")
        return number, 12, cards.year_of(call.now()) + 3
    number = get_str(card, "number", required=True).replace(" ", "")
    exp_month = get_int(card, "exp_month", required=True)
    exp_year = get_int(card, "exp_year", required=True)
    if exp_year < 100:
        exp_year += 2000
    cards.validate_card(number, exp_month, exp_year, cards.year_of(call.now()))
    return number, exp_month, exp_year


@route("POST", "/v1/payment_methods", ("type", "card", "billing_details", "metadata",
                                        "allow_redisplay", "customer", "payment_method"))
def create_payment_method(call: Call) -> dict:
    get_enum(call.params, "type", ("card",), required=True)
    card = get_dict(call.params, "card")
    if card is None:
        raise invalid("Missing required param: card.", param="card", code="parameter_missing")
    number, exp_month, exp_year = _card_number(call, card)
    pm = cards.create_card_pm(call, number, exp_month=exp_month, exp_year=exp_year,
                              billing_details=get_dict(call.params, "billing_details"),
                              metadata=merge_metadata({}, call.params))
    return pm


@route("GET", "/v1/payment_methods/<pm_id>")
def retrieve_payment_method(call: Call, pm_id: str) -> dict:
    return resolve_pm(call, pm_id, param="payment_method")


@route("POST", "/v1/payment_methods/<pm_id>", ("metadata", "billing_details", "card", "allow_redisplay"))
def update_payment_method(call: Call, pm_id: str) -> dict:
    pm = call.get("payment_method", pm_id, param="payment_method")
    changes = {"metadata": merge_metadata(pm.get("metadata"), call.params)}
    details = get_dict(call.params, "billing_details")
    if details:
        changes["billing_details"] = {**pm.get("billing_details", {}), **details}
    card = get_dict(call.params, "card") or {}
    if card:
        changes["card"] = {**pm["card"], "exp_month": get_int(card, "exp_month", default=pm["card"]["exp_month"]),
                           "exp_year": get_int(card, "exp_year", default=pm["card"]["exp_year"])}
    previous = call.update(pm, changes)
    call.emit("payment_method.updated", pm, previous)
    return pm


@route("POST", "/v1/payment_methods/<pm_id>/attach", ("customer",))
def attach_payment_method(call: Call, pm_id: str) -> dict:
    customer = call.get("customer", get_str(call.params, "customer", required=True), param="customer")
    return attach(call, resolve_pm(call, pm_id, param="payment_method"), customer)


@route("POST", "/v1/payment_methods/<pm_id>/detach")
def detach_payment_method(call: Call, pm_id: str) -> dict:
    pm = call.get("payment_method", pm_id, param="payment_method")
    customer = call.store.get("customer", pm.get("customer"))
    if not pm.get("customer"):
        raise invalid(f"The payment method {pm_id} is not attached to a customer so detachment is "
                      "impossible.", param="payment_method")
    call.update(pm, {"customer": None})
    if customer is not None:
        _forget_default(call, customer, pm_id)
    call.emit("payment_method.detached", pm, {"customer": customer["id"] if customer else None})
    return pm


def _forget_default(call: Call, customer: dict, pm_id: str) -> None:
    settings = customer.get("invoice_settings") or {}
    if settings.get("default_payment_method") == pm_id:
        call.update(customer, {"invoice_settings": {**settings, "default_payment_method": None}})
    if customer.get("default_source") == pm_id:
        call.update(customer, {"default_source": None})


@route("GET", "/v1/payment_methods", LIST_PARAMS + ("customer", "type", "allow_redisplay", "customer_account"))
def list_payment_methods(call: Call) -> dict:
    customer_id = get_str(call.params, "customer")
    pm_type = get_str(call.params, "type")
    return list_response(call, "payment_method", "/v1/payment_methods", predicate=lambda pm: (
        (customer_id is None or pm.get("customer") == customer_id)
        and (pm_type is None or pm["type"] == pm_type)))


@route("GET", "/v1/customers/<customer_id>/payment_methods", LIST_PARAMS + ("type", "allow_redisplay"))
def list_customer_payment_methods(call: Call, customer_id: str) -> dict:
    call.get("customer", customer_id, param="customer")
    return list_response(call, "payment_method", f"/v1/customers/{customer_id}/payment_methods",
                         predicate=lambda pm: pm.get("customer") == customer_id)


@route("GET", "/v1/customers/<customer_id>/payment_methods/<pm_id>")
def retrieve_customer_payment_method(call: Call, customer_id: str, pm_id: str) -> dict:
    customer = call.get("customer", customer_id, param="customer")
    pm = call.get("payment_method", pm_id, param="payment_method")
    if pm.get("customer") != customer["id"]:
        raise not_found("PaymentMethod", pm_id, param="payment_method")
    return pm

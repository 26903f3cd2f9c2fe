"""PaymentIntents: create/confirm (charging the card), manual capture once, cancel before capture."""
from __future__ import annotations

from . import charging
from .errors import invalid, unexpected_state
from .forms import get_bool, get_enum, get_int, get_list, get_str, merge_metadata
from .lists import list_response
from .payment_methods import resolve_pm
from .routing import LIST_PARAMS, route
from .search import search_response
from .state import Call

_CONFIRM_PARAMS = ("payment_method", "off_session", "receipt_email", "return_url", "setup_future_usage",
                   "payment_method_data", "mandate_data", "error_on_requires_action", "shipping",
                   "use_stripe_sdk", "payment_method_options", "payment_method_types", "radar_options",
                   "confirmation_token", "capture_method", "allowed_payment_method_types", "amount_details",
                   "excluded_payment_method_types", "hooks", "mandate", "payment_details")
_CREATE_PARAMS = _CONFIRM_PARAMS + (
    "amount", "currency", "customer", "confirm", "description", "metadata", "statement_descriptor",
    "statement_descriptor_suffix", "automatic_payment_methods", "confirmation_method", "transfer_group",
    "on_behalf_of", "application_fee_amount", "transfer_data", "excluded_payment_method_types",
    "payment_method_configuration", "customer_account")
_CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
               "processing")


def _payment_method_id(call: Call, customer: str | None) -> str | None:
    """The PaymentMethod named by `payment_method` (magic ids become real ones)."""
    pm_id = get_str(call.params, "payment_method")
    if pm_id is None:
        return None
    pm = resolve_pm(call, pm_id)
    if customer and pm.get("customer") not in (None, customer):
        raise invalid(f"The provided PaymentMethod {pm_id} belongs to a different Customer.",
                      param="payment_method")
    return pm["id"]


def create_intent(call: Call, *, amount: int, currency: str, customer: str | None, pm_id: str | None,
                  capture_method: str = "automatic", description: str | None = None,
                  metadata: dict | None = None) -> dict:
    """Store a PaymentIntent awaiting a payment method or confirmation."""
    intent_id = call.new_id("pi_")
    intent = call.insert({
        "id": intent_id, "object": "payment_intent", "amount": amount, "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{call.store.random_token(25)}", "created": call.now(),
        "currency": currency, "customer": customer, "description": description, "metadata": metadata or {},
        "payment_method": pm_id, "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
        "status": "requires_confirmation" if pm_id else "requires_payment_method",
    })
    call.emit("payment_intent.created", intent)
    return intent


def confirm_intent(call: Call, intent: dict) -> dict:
    """Charge the intent's card; a decline leaves it requires_payment_method and raises 402."""
    if not intent.get("payment_method"):
        raise unexpected_state("You cannot confirm this PaymentIntent because it's missing a payment method. "
                               "Update the PaymentIntent with a payment method and then confirm it again.",
                               "payment_intent_unexpected_state")
    pm = call.get("payment_method", intent["payment_method"], param="payment_method")
    manual = intent["capture_method"] == "manual"
    charge, decline = charging.attempt_charge(
        call, amount=intent["amount"], currency=intent["currency"], pm=pm, capture=not manual,
        customer=intent.get("customer"), payment_intent=intent["id"], description=intent.get("description"),
        metadata=intent.get("metadata"), receipt_email=intent.get("receipt_email"))
    if decline is not None:
        call.update(intent, {"status": "requires_payment_method", "latest_charge": charge["id"], "payment_method": None,
                             "last_payment_error": charging.last_payment_error(call, decline, charge, pm)})
        call.emit("payment_intent.payment_failed", intent)
        raise charging.decline_error(call, decline, charge, pm, intent)
    if manual:
        call.update(intent, {"status": "requires_capture", "amount_capturable": intent["amount"],
                             "latest_charge": charge["id"], "last_payment_error": None})
        call.emit("payment_intent.amount_capturable_updated", intent)
    else:
        call.update(intent, {"status": "succeeded", "amount_received": intent["amount"],
                             "latest_charge": charge["id"], "last_payment_error": None})
        call.emit("payment_intent.succeeded", intent)
    return intent


def capture_intent(call: Call, intent: dict, amount: int | None, param: str = "amount_to_capture") -> dict:
    """Capture up to `amount_capturable`, once; the rest of the authorization is released."""
    if intent["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            "payment_intent_unexpected_state")
    capturable = intent["amount_capturable"]
    amount = capturable if amount is None else amount
    if amount < 1 or amount > capturable:
        raise invalid(f"The amount to capture ({amount}) must be greater than zero and less than or equal to "
                      f"the amount capturable ({capturable}).", param=param, code="amount_too_large")
    charge = call.get("charge", intent["latest_charge"], param="charge")
    charging.capture_charge_amount(call, charge, amount)
    call.update(intent, {"status": "succeeded", "amount_received": amount, "amount_capturable": 0})
    call.emit("payment_intent.succeeded", intent)
    return intent


def cancel_intent(call: Call, intent: dict, reason: str | None) -> dict:
    """Cancel before capture; an authorized charge is released (refunded in full)."""
    if intent["status"] not in _CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: " + ", ".join(_CANCELABLE) + ".",
            "payment_intent_unexpected_state")
    if intent["status"] == "requires_capture":
        charge = call.get("charge", intent["latest_charge"], param="charge")
        refund, previous = charging.insert_refund(call, charge, charge["amount"], release=True)
        call.emit("charge.refunded", charge, previous)
    call.update(intent, {"status": "canceled", "canceled_at": call.now(), "cancellation_reason": reason,
                         "amount_capturable": 0})
    call.emit("payment_intent.canceled", intent)
    return intent


@route("POST", "/v1/payment_intents", _CREATE_PARAMS)
def create_payment_intent(call: Call) -> dict:
    params = call.params
    amount = get_int(params, "amount", required=True)
    currency = get_str(params, "currency", required=True).lower()
    charging.check_amount(amount, currency)
    customer = get_str(params, "customer")
    if customer:
        call.get("customer", customer, param="customer")
    capture_method = get_enum(params, "capture_method", ("automatic", "automatic_async", "manual"),
                              default="automatic_async")
    confirm = get_bool(params, "confirm", default=False)
    intent = create_intent(call, amount=amount, currency=currency, customer=customer,
                           pm_id=_payment_method_id(call, customer), capture_method=capture_method,
                           description=get_str(params, "description"), metadata=merge_metadata({}, params))
    call.update(intent, {"receipt_email": get_str(params, "receipt_email"),
                         "statement_descriptor": get_str(params, "statement_descriptor"),
                         "setup_future_usage": get_str(params, "setup_future_usage")})
    if get_list(params, "payment_method_types"):
        call.update(intent, {"payment_method_types": params["payment_method_types"],
                             "automatic_payment_methods": None})
    return confirm_intent(call, intent) if confirm else intent


@route("GET", "/v1/payment_intents/<intent_id>", ("client_secret",))
def retrieve_payment_intent(call: Call, intent_id: str) -> dict:
    return call.get("payment_intent", intent_id, param="intent")


@route("POST", "/v1/payment_intents/<intent_id>", ("amount", "currency", "description", "metadata",
                                                    "payment_method", "receipt_email", "setup_future_usage",
                                                    "statement_descriptor", "shipping", "capture_method",
                                                    "customer", "allowed_payment_method_types", "amount_details",
                                                    "application_fee_amount", "customer_account",
                                                    "excluded_payment_method_types", "hooks", "payment_details",
                                                    "payment_method_configuration", "payment_method_data",
                                                    "payment_method_options", "statement_descriptor_suffix",
                                                    "transfer_data", "transfer_group"))
def update_payment_intent(call: Call, intent_id: str) -> dict:
    intent = call.get("payment_intent", intent_id, param="intent")
    params = call.params
    changes = {"metadata": merge_metadata(intent.get("metadata"), params)}
    for name in ("description", "receipt_email"):
        if name in params:
            changes[name] = get_str(params, name)
    money_change = {"amount", "currency", "payment_method", "capture_method"} & set(params)
    if money_change and intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise unexpected_state(f"You cannot update this PaymentIntent because it has a status of "
                               f"{intent['status']}.", "payment_intent_unexpected_state")
    if get_str(params, "customer"):
        changes["customer"] = call.get("customer", params["customer"], param="customer")["id"]
    if "amount" in params:
        changes["amount"] = get_int(params, "amount")
        charging.check_amount(changes["amount"], intent["currency"])
    if "payment_method" in params:
        changes["payment_method"] = _payment_method_id(call, intent.get("customer"))
        changes["status"] = "requires_confirmation" if changes["payment_method"] else "requires_payment_method"
    if "capture_method" in params:
        changes["capture_method"] = get_enum(params, "capture_method", ("automatic", "automatic_async", "manual"))
    call.emit("payment_intent.updated", intent, call.update(intent, changes))
    return intent


@route("POST", "/v1/payment_intents/<intent_id>/confirm", _CONFIRM_PARAMS + ("amount_to_confirm",))
def confirm_payment_intent(call: Call, intent_id: str) -> dict:
    intent = call.get("payment_intent", intent_id, param="intent")
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
            "payment_intent_unexpected_state")
    if get_str(call.params, "payment_method"):
        call.update(intent, {"payment_method": _payment_method_id(call, intent.get("customer"))})
    if "capture_method" in call.params:
        call.update(intent, {"capture_method": get_enum(call.params, "capture_method", ("automatic", "automatic_async", "manual"))})
    return confirm_intent(call, intent)


@route("POST", "/v1/payment_intents/<intent_id>/capture", ("amount_to_capture", "application_fee_amount",
                                                            "final_capture", "metadata", "statement_descriptor",
                                                            "statement_descriptor_suffix", "transfer_data",
                                                            "amount_details", "hooks", "payment_details"))
def capture_payment_intent(call: Call, intent_id: str) -> dict:
    intent = call.get("payment_intent", intent_id, param="intent")
    amount = get_int(call.params, "amount_to_capture")
    if "metadata" in call.params:
        call.update(intent, {"metadata": merge_metadata(intent.get("metadata"), call.params)})
    return capture_intent(call, intent, amount)


@route("POST", "/v1/payment_intents/<intent_id>/cancel", ("cancellation_reason",))
def cancel_payment_intent(call: Call, intent_id: str) -> dict:
    intent = call.get("payment_intent", intent_id, param="intent")
    reason = get_enum(call.params, "cancellation_reason",
                      ("duplicate", "fraudulent", "requested_by_customer", "abandoned"))
    return cancel_intent(call, intent, reason)


@route("GET", "/v1/payment_intents", LIST_PARAMS + ("customer", "customer_account"))
def list_payment_intents(call: Call) -> dict:
    return list_response(call, "payment_intent", "/v1/payment_intents",
                         where={"customer": get_str(call.params, "customer")})


@route("GET", "/v1/payment_intents/search", ("query", "limit", "page"))
def search_payment_intents(call: Call) -> dict:
    return search_response(call, "payment_intent", "/v1/payment_intents/search")

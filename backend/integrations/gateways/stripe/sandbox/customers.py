"""Customers: create/retrieve/update/delete, list by email, search, customer-level discounts."""
from __future__ import annotations

from . import payment_methods as pms
from . import promotions
from .errors import invalid, not_found
from .forms import get_dict, get_enum, get_int, get_list, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .search import search_response
from .state import Call
from .templates import ADDRESS, CUSTOMER

_SIMPLE = ("email", "name", "description", "phone")
_COMMON = _SIMPLE + ("address", "balance", "invoice_prefix", "invoice_settings", "metadata",
                     "next_invoice_sequence", "preferred_locales", "shipping", "tax", "tax_exempt",
                     "coupon", "promotion_code", "source", "validate", "cash_balance", "business_name",
                     "individual_name")


def find_customer(call: Call, customer_id: str, *, param: str = "id") -> dict:
    found = call.store.get("customer", customer_id)
    if found is None:
        raise not_found("customer", customer_id, param=param)
    return found


def _fields(call: Call, current: dict) -> dict:
    """Top-level changes for create/update from the simple params."""
    params, changes = call.params, {}
    for name in _SIMPLE:
        if name in params:
            changes[name] = get_str(params, name)
    if "address" in params:
        address = get_dict(params, "address")
        changes["address"] = {**ADDRESS, **address} if address else None
    if "shipping" in params:
        changes["shipping"] = get_dict(params, "shipping")
    if "balance" in params:
        changes["balance"] = get_int(params, "balance")
    if "preferred_locales" in params:
        changes["preferred_locales"] = get_list(params, "preferred_locales")
    if "tax_exempt" in params:
        changes["tax_exempt"] = get_enum(params, "tax_exempt", ("none", "exempt", "reverse"))
    if get_str(params, "invoice_prefix"):
        prefix = params["invoice_prefix"].upper()
        if not (3 <= len(prefix) <= 12 and prefix.isalnum()):
            raise invalid("Invoice prefix must be 3-12 uppercase letters or numbers.", param="invoice_prefix")
        changes["invoice_prefix"] = prefix
    changes["metadata"] = merge_metadata(current.get("metadata"), params)
    return changes


def _payment_settings(call: Call, customer: dict) -> None:
    """`payment_method`, `source`, `invoice_settings[default_payment_method]`, in that order."""
    params = call.params
    attached = None
    if get_str(params, "payment_method"):
        attached = pms.attach(call, pms.resolve_pm(call, params["payment_method"]), customer)
    if get_str(params, "source"):
        source = pms.attach(call, pms.resolve_pm(call, params["source"], param="source"), customer)
        call.update(customer, {"default_source": source["id"]})
    if "default_source" in params:
        source = pms.customer_pm(call, customer, get_str(params, "default_source", required=True), "default_source")
        call.update(customer, {"default_source": source["id"]})
    settings = get_dict(params, "invoice_settings")
    if settings is not None:
        merged = {**(customer.get("invoice_settings") or CUSTOMER["invoice_settings"]), **settings}
        wanted = settings.get("default_payment_method")
        if wanted and attached is not None and wanted == params.get("payment_method"):
            merged["default_payment_method"] = attached["id"]
        elif wanted:
            merged["default_payment_method"] = pms.customer_pm(
                call, customer, wanted, "invoice_settings[default_payment_method]")["id"]
        call.update(customer, {"invoice_settings": merged})


def _discount(call: Call, customer: dict) -> None:
    coupon, promo = get_str(call.params, "coupon"), get_str(call.params, "promotion_code")
    if coupon or promo:
        discount = promotions.create_discount(call, coupon_id=coupon, promotion_code_id=promo,
                                              customer=customer["id"])
        call.update(customer, {"discount": discount["id"]})
        call.emit("customer.discount.created", discount)


@route("POST", "/v1/customers", _COMMON + ("payment_method", "tax_id_data", "test_clock"))
def create_customer(call: Call) -> dict:
    from .tax_ids import create_tax_id  # tax_ids imports this module
    tax_data = get_list(call.params, "tax_id_data") or []
    customer = {"id": call.new_id("cus_"), "object": "customer", "created": call.now(),
                "invoice_prefix": call.store.random_token(8, "0123456789ABCDEF"), "discount": None}
    customer.update(_fields(call, customer))
    call.insert(customer)
    _payment_settings(call, customer)
    _discount(call, customer)
    call.emit("customer.created", customer)
    for index, item in enumerate(tax_data):
        create_tax_id(call, customer, item, param_prefix=f"tax_id_data[{index}]")
    return customer


@route("GET", "/v1/customers/<customer_id>")
def retrieve_customer(call: Call, customer_id: str) -> dict:
    tombstone = call.state.tombstones.get(customer_id)
    return tombstone or find_customer(call, customer_id)


@route("POST", "/v1/customers/<customer_id>", _COMMON + ("default_source",))
def update_customer(call: Call, customer_id: str) -> dict:
    customer = find_customer(call, customer_id)
    before = dict(customer)
    call.update(customer, _fields(call, customer))
    _payment_settings(call, customer)
    _discount(call, customer)
    previous = {key: before.get(key) for key in customer if before.get(key) != customer[key]}
    call.emit("customer.updated", customer, previous)
    return customer


@route("DELETE", "/v1/customers/<customer_id>")
def delete_customer(call: Call, customer_id: str) -> dict:
    customer = find_customer(call, customer_id)
    _end_subscriptions(call, customer_id)
    call.emit("customer.deleted", customer)
    call.store.remove("customer", customer_id)
    tombstone = {"id": customer_id, "object": "customer", "deleted": True}
    call.state.tombstones[customer_id] = tombstone
    return tombstone


def _end_subscriptions(call: Call, customer_id: str) -> None:
    """Deleting a customer cancels its subscriptions immediately, as Stripe does."""
    for subscription in list(call.store.all("subscription")):
        if subscription["customer"] == customer_id and subscription["status"] not in ("canceled", "incomplete_expired"):
            now = call.now()
            call.update(subscription, {"status": "canceled", "canceled_at": now, "ended_at": now,
                                       "cancel_at_period_end": False, "cancel_at": None})
            call.emit("customer.subscription.deleted", subscription)


@route("DELETE", "/v1/customers/<customer_id>/discount")
def delete_customer_discount(call: Call, customer_id: str) -> dict:
    customer = find_customer(call, customer_id)
    discount = call.store.get("discount", customer.get("discount"))
    if discount is None:
        raise not_found("discount", customer_id, param="customer")
    call.update(customer, {"discount": None})
    call.emit("customer.discount.deleted", discount)
    return {**discount, "deleted": True}


@route("GET", "/v1/customers", LIST_PARAMS + ("email", "test_clock"))
def list_customers(call: Call) -> dict:
    email = get_str(call.params, "email")
    return list_response(call, "customer", "/v1/customers",
                         predicate=(lambda c: c.get("email") == email) if email is not None else None)


@route("GET", "/v1/customers/search", ("query", "limit", "page"))
def search_customers(call: Call) -> dict:
    return search_response(call, "customer", "/v1/customers/search")

"""Products, prices and tax rates: the catalogue subscriptions and invoices draw from."""
from __future__ import annotations

from .errors import invalid, missing_param, not_found
from .forms import get_bool, get_dict, get_enum, get_int, get_list, get_number, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call

_PRODUCT_FIELDS = ("name", "description", "active", "metadata", "images", "tax_code", "unit_label", "url",
                   "statement_descriptor", "shippable", "marketing_features", "package_dimensions")


def _product_changes(call: Call, current: dict) -> dict:
    params, changes = call.params, {"metadata": merge_metadata(current.get("metadata"), call.params)}
    for name in ("name", "description", "tax_code", "unit_label", "url", "statement_descriptor"):
        if name in params:
            changes[name] = get_str(params, name)
    for name in ("active", "shippable"):
        if name in params:
            changes[name] = get_bool(params, name)
    if "images" in params:
        changes["images"] = get_list(params, "images")
    return changes


@route("POST", "/v1/products", _PRODUCT_FIELDS + ("id", "default_price_data", "type", "tax_details"))
def create_product(call: Call) -> dict:
    get_str(call.params, "name", required=True)
    product_id = get_str(call.params, "id") or call.new_id("prod_")
    if call.store.get("product", product_id) is not None:
        raise invalid(f"Product already exists.", param="id", code="resource_already_exists")
    product = {"id": product_id, "object": "product", "created": call.now(), "updated": call.now(),
               "type": get_enum(call.params, "type", ("good", "service"), default="service")}
    product.update(_product_changes(call, product))
    call.insert(product)
    call.emit("product.created", product)
    price_data = get_dict(call.params, "default_price_data")
    if price_data:
        price = _insert_price(call, price_data, product["id"], "default_price_data")
        call.update(product, {"default_price": price["id"]})
    return product


@route("GET", "/v1/products/<product_id>")
def retrieve_product(call: Call, product_id: str) -> dict:
    return call.get("product", product_id)


@route("POST", "/v1/products/<product_id>", _PRODUCT_FIELDS + ("default_price",))
def update_product(call: Call, product_id: str) -> dict:
    product = call.get("product", product_id)
    changes = _product_changes(call, product)
    if get_str(call.params, "default_price"):
        changes["default_price"] = call.get("price", call.params["default_price"], param="default_price")["id"]
    changes["updated"] = call.now()
    call.emit("product.updated", product, call.update(product, changes))
    return product


@route("DELETE", "/v1/products/<product_id>")
def delete_product(call: Call, product_id: str) -> dict:
    product = call.get("product", product_id)
    if any(price["product"] == product_id for price in call.store.all("price")):
        raise invalid("This product cannot be deleted because it has one or more user-created prices.",
                      param="id")
    call.emit("product.deleted", product)
    call.store.remove("product", product_id)
    return {"id": product_id, "object": "product", "deleted": True}


@route("GET", "/v1/products", LIST_PARAMS + ("active", "ids", "shippable", "url", "type"))
def list_products(call: Call) -> dict:
    active, ids = get_bool(call.params, "active"), get_list(call.params, "ids")
    return list_response(call, "product", "/v1/products", predicate=lambda p: (
        (active is None or p["active"] == active) and (ids is None or p["id"] in ids)))


# --- prices ---------------------------------------------------------------------------------------

def _recurring(data: dict | None, param: str) -> dict | None:
    if not data:
        return None
    interval = get_enum(data, "interval", ("day", "week", "month", "year"), required=True)
    return {"interval": interval, "interval_count": get_int(data, "interval_count", default=1, minimum=1),
            "meter": None, "usage_type": get_enum(data, "usage_type", ("licensed", "metered"), default="licensed"),
            "trial_period_days": get_int(data, "trial_period_days")}


def _insert_price(call: Call, data: dict, product_id: str, param: str = "") -> dict:
    currency = get_str(data, "currency", required=True).lower()
    unit_amount = get_int(data, "unit_amount", minimum=0)
    if unit_amount is None and get_str(data, "unit_amount_decimal"):
        unit_amount = int(float(data["unit_amount_decimal"]))
    if unit_amount is None:
        raise missing_param(f"{param}[unit_amount]" if param else "unit_amount")
    recurring = _recurring(get_dict(data, "recurring"), "recurring")
    price = {"id": call.new_id("price_"), "object": "price", "active": get_bool(data, "active", default=True),
             "created": call.now(), "currency": currency, "lookup_key": get_str(data, "lookup_key"),
             "metadata": merge_metadata({}, data), "nickname": get_str(data, "nickname"),
             "product": product_id, "recurring": recurring,
             "tax_behavior": get_enum(data, "tax_behavior", ("exclusive", "inclusive", "unspecified"),
                                      default="unspecified"),
             "type": "recurring" if recurring else "one_time", "unit_amount": unit_amount,
             "unit_amount_decimal": str(unit_amount)}
    call.insert(price)
    call.emit("price.created", price)
    return price


@route("POST", "/v1/prices", ("currency", "unit_amount", "unit_amount_decimal", "product", "product_data",
                              "recurring", "nickname", "lookup_key", "metadata", "tax_behavior", "active",
                              "billing_scheme", "transfer_lookup_key", "currency_options", "custom_unit_amount",
                              "tiers", "tiers_mode", "transform_quantity"))
def create_price(call: Call) -> dict:
    product_id = get_str(call.params, "product")
    product_data = get_dict(call.params, "product_data")
    if product_id:
        call.get("product", product_id, param="product")
    elif product_data:
        product = call.insert({"id": call.new_id("prod_"), "object": "product", "created": call.now(),
                               "updated": call.now(), "name": get_str(product_data, "name", required=True),
                               "metadata": merge_metadata({}, product_data)})
        call.emit("product.created", product)
        product_id = product["id"]
    else:
        raise missing_param("product")
    return _insert_price(call, call.params, product_id)


@route("GET", "/v1/prices/<price_id>")
def retrieve_price(call: Call, price_id: str) -> dict:
    return call.get("price", price_id, param="price")


@route("POST", "/v1/prices/<price_id>", ("active", "metadata", "nickname", "lookup_key", "tax_behavior",
                                         "transfer_lookup_key", "currency_options"))
def update_price(call: Call, price_id: str) -> dict:
    price = call.get("price", price_id, param="price")
    changes = {"metadata": merge_metadata(price.get("metadata"), call.params)}
    for name in ("nickname", "lookup_key"):
        if name in call.params:
            changes[name] = get_str(call.params, name)
    if "active" in call.params:
        changes["active"] = get_bool(call.params, "active")
    call.emit("price.updated", price, call.update(price, changes))
    return price


@route("GET", "/v1/prices", LIST_PARAMS + ("active", "currency", "product", "type", "lookup_keys", "recurring"))
def list_prices(call: Call) -> dict:
    params = call.params
    active, product, kind = get_bool(params, "active"), get_str(params, "product"), get_str(params, "type")
    currency, lookup_keys = get_str(params, "currency"), get_list(params, "lookup_keys")
    return list_response(call, "price", "/v1/prices", predicate=lambda p: (
        (active is None or p["active"] == active) and (product is None or p["product"] == product)
        and (kind is None or p["type"] == kind) and (currency is None or p["currency"] == currency.lower())
        and (lookup_keys is None or p.get("lookup_key") in lookup_keys)))


# --- tax rates ------------------------------------------------------------------------------------

@route("POST", "/v1/tax_rates", ("display_name", "percentage", "inclusive", "active", "country", "description",
                                 "jurisdiction", "metadata", "state", "tax_type"))
def create_tax_rate(call: Call) -> dict:
    params = call.params
    percentage = get_number(params, "percentage", required=True)
    if not 0 <= percentage <= 100:
        raise invalid("Percentage must be between 0 and 100.", param="percentage")
    if get_bool(params, "inclusive") is None:
        raise missing_param("inclusive")
    rate = {"id": call.new_id("txr_"), "object": "tax_rate", "active": get_bool(params, "active", default=True),
            "country": get_str(params, "country"), "created": call.now(),
            "description": get_str(params, "description"),
            "display_name": get_str(params, "display_name", required=True),
            "effective_percentage": percentage, "inclusive": get_bool(params, "inclusive"),
            "jurisdiction": get_str(params, "jurisdiction"), "metadata": merge_metadata({}, params),
            "percentage": percentage, "state": get_str(params, "state"), "tax_type": get_str(params, "tax_type")}
    call.insert(rate)
    call.emit("tax_rate.created", rate)
    return rate


@route("GET", "/v1/tax_rates/<rate_id>")
def retrieve_tax_rate(call: Call, rate_id: str) -> dict:
    return call.get("tax_rate", rate_id, param="tax_rate")


@route("POST", "/v1/tax_rates/<rate_id>", ("active", "description", "display_name", "jurisdiction",
                                           "metadata", "country", "state", "tax_type"))
def update_tax_rate(call: Call, rate_id: str) -> dict:
    rate = call.get("tax_rate", rate_id, param="tax_rate")
    changes = {"metadata": merge_metadata(rate.get("metadata"), call.params)}
    for name in ("description", "display_name", "jurisdiction", "country", "state", "tax_type"):
        if name in call.params:
            changes[name] = get_str(call.params, name)
    if "active" in call.params:
        changes["active"] = get_bool(call.params, "active")
    call.emit("tax_rate.updated", rate, call.update(rate, changes))
    return rate


@route("GET", "/v1/tax_rates", LIST_PARAMS + ("active", "inclusive"))
def list_tax_rates(call: Call) -> dict:
    active, inclusive = get_bool(call.params, "active"), get_bool(call.params, "inclusive")
    return list_response(call, "tax_rate", "/v1/tax_rates", predicate=lambda r: (
        (active is None or r["active"] == active) and (inclusive is None or r["inclusive"] == inclusive)))


def tax_rate_ids(call: Call, raw: list | None, param: str) -> list[str]:
    """Validated tax rate ids from a `tax_rates[]`/`default_tax_rates[]` param."""
    ids = []
    for index, rate_id in enumerate(raw or []):
        if call.store.get("tax_rate", rate_id) is None:
            raise not_found("tax rate", str(rate_id), param=f"{param}[{index}]")
        ids.append(rate_id)
    return ids

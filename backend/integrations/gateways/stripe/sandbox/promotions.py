"""Coupons, promotion codes (16.x `promotion[coupon]` shape) and the Discount objects they create."""
from __future__ import annotations

import string

from .errors import invalid, missing_param, not_found
from .forms import get_bool, get_dict, get_enum, get_int, get_number, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call

_MONTH = 30 * 86400


def find_coupon(call: Call, coupon_id: str, *, param: str = "coupon") -> dict:
    found = call.store.get("coupon", coupon_id)
    if found is None:
        raise not_found("coupon", coupon_id, param=param)
    return found


def _coupon_amounts(params: dict) -> dict:
    percent_off, amount_off = get_number(params, "percent_off"), get_int(params, "amount_off", minimum=1)
    if (percent_off is None) == (amount_off is None):
        raise invalid("You must pass either `percent_off` or `amount_off` (but not both).",
                      param="percent_off")
    if percent_off is not None and not 0 < percent_off <= 100:
        raise invalid("Percent off must be greater than 0 and at most 100.", param="percent_off")
    currency = get_str(params, "currency")
    if amount_off is not None and currency is None:
        raise invalid("You must pass a `currency` when using `amount_off`.", param="currency")
    return {"percent_off": float(percent_off) if percent_off is not None else None, "amount_off": amount_off,
            "currency": currency.lower() if currency else None}


@route("POST", "/v1/coupons", ("id", "percent_off", "amount_off", "currency", "duration",
                               "duration_in_months", "name", "max_redemptions", "redeem_by",
                               "metadata", "applies_to", "currency_options"))
def create_coupon(call: Call) -> dict:
    params = call.params
    coupon_id = get_str(params, "id") or call.store.random_token(8, string.ascii_uppercase + string.digits)
    if call.store.get("coupon", coupon_id) is not None:
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    duration = get_enum(params, "duration", ("forever", "once", "repeating"), default="once")
    months = get_int(params, "duration_in_months", minimum=1)
    if duration == "repeating" and months is None:
        raise missing_param("duration_in_months")
    coupon = {"id": coupon_id, "object": "coupon", "created": call.now(), **_coupon_amounts(params),
              "duration": duration, "duration_in_months": months if duration == "repeating" else None,
              "name": get_str(params, "name"), "max_redemptions": get_int(params, "max_redemptions", minimum=1),
              "redeem_by": get_int(params, "redeem_by"), "metadata": merge_metadata({}, params)}
    call.insert(coupon)
    call.emit("coupon.created", coupon)
    return coupon


@route("GET", "/v1/coupons/<coupon_id>")
def retrieve_coupon(call: Call, coupon_id: str) -> dict:
    return find_coupon(call, coupon_id, param="id")


@route("POST", "/v1/coupons/<coupon_id>", ("name", "metadata", "currency_options"))
def update_coupon(call: Call, coupon_id: str) -> dict:
    coupon = find_coupon(call, coupon_id, param="id")
    changes = {"metadata": merge_metadata(coupon.get("metadata"), call.params)}
    if "name" in call.params:
        changes["name"] = get_str(call.params, "name")
    call.emit("coupon.updated", coupon, call.update(coupon, changes))
    return coupon


@route("DELETE", "/v1/coupons/<coupon_id>")
def delete_coupon(call: Call, coupon_id: str) -> dict:
    coupon = find_coupon(call, coupon_id, param="id")
    call.emit("coupon.deleted", coupon)
    call.store.remove("coupon", coupon_id)
    return {"id": coupon_id, "object": "coupon", "deleted": True}


@route("GET", "/v1/coupons", LIST_PARAMS)
def list_coupons(call: Call) -> dict:
    return list_response(call, "coupon", "/v1/coupons")


# --- promotion codes ------------------------------------------------------------------------------

def _promotion_coupon(params: dict) -> str:
    promotion = get_dict(params, "promotion")
    if promotion is not None:
        get_enum(promotion, "type", ("coupon",), required=True)
        return get_str(promotion, "coupon", required=True)
    legacy = get_str(params, "coupon")
    if legacy is None:
        raise missing_param("promotion")
    return legacy


@route("POST", "/v1/promotion_codes", ("promotion", "coupon", "code", "active", "customer", "expires_at",
                                       "max_redemptions", "restrictions", "metadata", "customer_account"))
def create_promotion_code(call: Call) -> dict:
    params = call.params
    coupon = find_coupon(call, _promotion_coupon(params), param="promotion[coupon]")
    code = get_str(params, "code") or call.store.random_token(8, string.ascii_uppercase + string.digits)
    if any(p["active"] and p["code"].casefold() == code.casefold() for p in call.store.all("promotion_code")):
        raise invalid(f"An active promotion code with `code: {code}` already exists.", param="code")
    if get_str(params, "customer"):
        call.get("customer", params["customer"], param="customer")
    restrictions = {"first_time_transaction": False, "minimum_amount": None, "minimum_amount_currency": None}
    restrictions.update(get_dict(params, "restrictions") or {})
    promo = {"id": call.new_id("promo_"), "object": "promotion_code", "active": get_bool(params, "active", default=True),
             "code": code, "created": call.now(), "customer": get_str(params, "customer"),
             "expires_at": get_int(params, "expires_at"), "max_redemptions": get_int(params, "max_redemptions", minimum=1),
             "metadata": merge_metadata({}, params), "restrictions": restrictions,
             "promotion": {"coupon": coupon["id"], "type": "coupon"}}
    call.insert(promo)
    call.emit("promotion_code.created", promo)
    return promo


@route("GET", "/v1/promotion_codes/<promo_id>")
def retrieve_promotion_code(call: Call, promo_id: str) -> dict:
    return call.get("promotion_code", promo_id, param="promotion_code")


@route("POST", "/v1/promotion_codes/<promo_id>", ("active", "metadata", "restrictions"))
def update_promotion_code(call: Call, promo_id: str) -> dict:
    promo = call.get("promotion_code", promo_id, param="promotion_code")
    changes = {"metadata": merge_metadata(promo.get("metadata"), call.params)}
    if "active" in call.params:
        changes["active"] = get_bool(call.params, "active")
    call.emit("promotion_code.updated", promo, call.update(promo, changes))
    return promo


@route("GET", "/v1/promotion_codes", LIST_PARAMS + ("active", "code", "coupon", "customer", "customer_account"))
def list_promotion_codes(call: Call) -> dict:
    params = call.params
    active, code = get_bool(params, "active"), get_str(params, "code")
    coupon, customer = get_str(params, "coupon"), get_str(params, "customer")
    return list_response(call, "promotion_code", "/v1/promotion_codes", predicate=lambda p: (
        (active is None or p["active"] == active)
        and (code is None or p["code"].casefold() == code.casefold())
        and (coupon is None or p["promotion"]["coupon"] == coupon)
        and (customer is None or p["customer"] == customer)))


# --- discounts ------------------------------------------------------------------------------------

def _redeemable_promo(call: Call, promo_id: str, customer: str | None, param: str) -> dict:
    promo = call.get("promotion_code", promo_id, param=param)
    expired = promo.get("expires_at") is not None and promo["expires_at"] <= call.now()
    used_up = promo.get("max_redemptions") is not None and promo["times_redeemed"] >= promo["max_redemptions"]
    if not promo["active"] or expired or used_up:
        raise invalid(f"This promotion code cannot be redeemed because it is inactive: {promo['code']}",
                      param=param)
    if promo.get("customer") and promo["customer"] != customer:
        raise invalid("This promotion code cannot be redeemed by this customer.", param=param)
    return promo


def _redeemable_coupon(call: Call, coupon_id: str, param: str) -> dict:
    coupon = find_coupon(call, coupon_id, param=param)
    expired = coupon.get("redeem_by") is not None and coupon["redeem_by"] <= call.now()
    used_up = coupon.get("max_redemptions") is not None and coupon["times_redeemed"] >= coupon["max_redemptions"]
    if expired or used_up:
        raise invalid(f"Coupon expired: {coupon_id}", param=param)
    return coupon


def create_discount(call: Call, *, coupon_id: str | None = None, promotion_code_id: str | None = None,
                    customer: str | None = None, subscription: str | None = None,
                    invoice: str | None = None, param: str = "coupon") -> dict:
    """Validate and redeem a coupon or promotion code, storing the resulting Discount."""
    promo = None
    if promotion_code_id:
        promo = _redeemable_promo(call, promotion_code_id, customer, param)
        coupon_id = promo["promotion"]["coupon"]
    coupon = _redeemable_coupon(call, coupon_id or "", param)
    start = call.now()
    months = coupon.get("duration_in_months") if coupon["duration"] == "repeating" else None
    discount = call.insert({
        "id": call.new_id("di_"), "object": "discount", "customer": customer,
        "end": start + months * _MONTH if months else None, "invoice": invoice,
        "promotion_code": promo["id"] if promo else None, "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": start, "subscription": subscription,
    })
    call.update(coupon, {"times_redeemed": coupon["times_redeemed"] + 1})
    if promo is not None:
        call.update(promo, {"times_redeemed": promo["times_redeemed"] + 1})
    return discount


def check_discounts(call: Call, items: list, *, customer: str | None) -> None:
    """Validate `discounts[n][...]` without redeeming anything (so nothing is half-written)."""
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not (item.get("coupon") or item.get("promotion_code") or item.get("discount")):
            raise invalid("Each discount needs one of coupon, promotion_code or discount.",
                          param=f"discounts[{index}]")
        if item.get("promotion_code"):
            _redeemable_promo(call, item["promotion_code"], customer, f"discounts[{index}][promotion_code]")
        elif item.get("coupon"):
            _redeemable_coupon(call, item["coupon"], f"discounts[{index}][coupon]")
        else:
            call.get("discount", item["discount"], param=f"discounts[{index}][discount]")


def discounts_from(call: Call, items: list, *, customer: str | None, subscription: str | None = None,
                   invoice: str | None = None) -> list[str]:
    """`discounts[n][coupon|promotion_code|discount]` -> discount ids (validated before any redeem)."""
    check_discounts(call, items, customer=customer)
    ids = []
    for index, item in enumerate(items):
        if item.get("discount"):
            ids.append(item["discount"])
            continue
        kind = "coupon" if item.get("coupon") else "promotion_code"
        discount = create_discount(call, coupon_id=item.get("coupon"), promotion_code_id=item.get("promotion_code"),
                                   customer=customer, subscription=subscription, invoice=invoice,
                                   param=f"discounts[{index}][{kind}]")
        ids.append(discount["id"])
    return ids


def discount_coupon(call: Call, discount_id: str) -> dict | None:
    discount = call.store.get("discount", discount_id)
    if discount is None:
        return None
    return call.store.get("coupon", discount["source"]["coupon"])



"""Sandbox routes and helpers for plans and coupons (the catalog subscriptions draw on)."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint

from .store import Store, parse_money, validation_error
from .web import body, listing, one, store

bp = Blueprint("recurly_catalog", __name__)


def create_plan(sb: Store, data: dict) -> dict:
    """PlanCreate: code, name, currencies [{currency, unit_amount, setup_fee}], interval, trial."""
    code = str(data.get("code") or "").strip()
    if not code or sb.lookup("plans", f"code-{code}") is not None:
        raise validation_error("code", "is required and must be unique")
    prices = data.get("currencies") or []
    if not prices:
        raise validation_error("currencies", "must list at least one currency")
    currencies = {}
    for price in prices:
        cur = str(price.get("currency", "")).upper()
        currencies[cur] = {"unit_amount": parse_money(price.get("unit_amount"), cur, "unit_amount"),
                           "setup_fee": parse_money(price.get("setup_fee", 0), cur, "setup_fee")}
    unit = data.get("interval_unit", "months")
    if unit not in ("days", "months"):
        raise validation_error("interval_unit", "must be days or months")
    return sb.add("plans", {
        "code": code, "name": data.get("name") or code, "state": "active",
        "interval_unit": unit, "interval_length": int(data.get("interval_length", 1)),
        "trial_unit": data.get("trial_unit", "days"),
        "trial_length": int(data.get("trial_length", 0)), "currencies": currencies})


def create_coupon(sb: Store, data: dict) -> dict:
    """CouponCreate: code, name, discount_type percent|fixed, discount_percent or currencies."""
    code = str(data.get("code") or "").strip()
    if not code or sb.lookup("coupons", f"code-{code}") is not None:
        raise validation_error("code", "is required and must be unique")
    kind = data.get("discount_type", "percent")
    if kind == "percent":
        percent = int(data.get("discount_percent") or 0)
        if not 0 < percent <= 100:
            raise validation_error("discount_percent", "must be between 1 and 100")
        discount = {"type": "percent", "percent": percent}
    elif kind == "fixed":
        discount = {"type": "fixed", "currencies": [
            {"currency": c["currency"].upper(),
             "amount": parse_money(c.get("discount"), c["currency"].upper(), "discount")}
            for c in data.get("currencies") or []]}
    else:
        raise validation_error("discount_type", "must be percent or fixed")
    return sb.add("coupons", {
        "code": code, "name": data.get("name") or code, "state": "redeemable",
        "discount": discount, "duration": data.get("duration", "forever"),
        "coupon_type": "single_code", "redemption_resource": "account"})


def seed_catalog(sb: Store) -> None:
    """A small default catalog so the demo and tests have something to subscribe to."""
    create_plan(sb, {"code": "basic", "name": "Basic", "interval_unit": "months", "currencies": [
        {"currency": "USD", "unit_amount": Decimal("10.00")},
        {"currency": "EUR", "unit_amount": Decimal("9.00")},
        {"currency": "JPY", "unit_amount": Decimal("1200")},
        {"currency": "KWD", "unit_amount": Decimal("3.125")}]})
    create_plan(sb, {"code": "pro-trial", "name": "Pro (14-day trial)", "trial_length": 14,
                     "currencies": [{"currency": "USD", "unit_amount": Decimal("49.00")}]})
    create_coupon(sb, {"code": "SAVE20", "name": "20% off", "discount_percent": 20})
    create_coupon(sb, {"code": "FIVEOFF", "name": "5 off", "discount_type": "fixed",
                       "currencies": [{"currency": "USD", "discount": Decimal("5.00")}]})


@bp.get("/plans")
def list_plans():
    return listing("plans", store().objects["plans"].values())


@bp.post("/plans")
def post_plan():
    return one("plans", create_plan(store(), body()), 201)


@bp.get("/plans/<plan_id>")
def get_plan(plan_id):
    return one("plans", store().get("plans", plan_id))


@bp.get("/coupons")
def list_coupons():
    return listing("coupons", store().objects["coupons"].values())


@bp.post("/coupons")
def post_coupon():
    return one("coupons", create_coupon(store(), body()), 201)


@bp.get("/coupons/<coupon_id>")
def get_coupon(coupon_id):
    return one("coupons", store().get("coupons", coupon_id))

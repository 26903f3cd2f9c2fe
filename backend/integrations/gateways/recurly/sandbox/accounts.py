"""Sandbox routes for accounts, billing info and account coupon redemptions."""
from __future__ import annotations

from flask import Blueprint, request

from .render import billing_info as render_billing_info
from .store import ApiError, Store, validation_error
from .web import (body, invoices_matching, listing, one, reply, store, subscriptions_matching,
                  transactions_matching)

bp = Blueprint("recurly_accounts", __name__)
_ACCOUNT_FIELDS = ("email", "first_name", "last_name", "company", "vat_number", "cc_emails",
                   "tax_exempt", "address", "username", "preferred_locale")
_CARD_BRANDS = {"3": "American Express", "4": "Visa", "5": "MasterCard", "6": "Discover"}


def create_account(sb: Store, data: dict) -> dict:
    """AccountCreate: `code` is required and unique; billing_info is optional."""
    code = str(data.get("code") or "").strip()
    if not code or len(code) > 50:
        raise validation_error("code", "is required and at most 50 characters")
    if sb.lookup("accounts", f"code-{code}") is not None:
        raise validation_error("code", "has already been taken")
    account = {"code": code, "state": "active", "billing_info": None,
               **{k: data.get(k) for k in _ACCOUNT_FIELDS}}
    sb.add("accounts", account)
    if data.get("billing_info"):
        set_billing_info(sb, account, data["billing_info"])
    sb.notify("account", "created", account, account)
    return account


def set_billing_info(sb: Store, account: dict, data: dict) -> dict:
    """BillingInfoCreate: a card number (or token) plus name, address and vat_number."""
    info = dict(account.get("billing_info") or {"id": sb.new_id(), "created_at": sb.now()})
    for name in ("first_name", "last_name", "company", "vat_number", "address"):
        if name in data:
            info[name] = data[name]
    number = str(data.get("number") or "")
    if number or data.get("token_id") or "payment_method" not in info:
        number = number or "4111111111111111"
        info["_card_number"] = number
        info["payment_method"] = {
            "object": "credit_card", "card_type": _CARD_BRANDS.get(number[:1], "Unknown"),
            "first_six": number[:6], "last_four": number[-4:],
            "exp_month": int(data.get("month") or 12), "exp_year": int(data.get("year") or 2030)}
    info.update(valid=True, updated_at=sb.now())
    account["billing_info"] = info
    sb.touch(account)
    return info


@bp.get("/accounts")
def list_accounts():
    email = request.args.get("email")
    items = store().objects["accounts"].values()
    return listing("accounts", [a for a in items if email is None or a.get("email") == email])


@bp.post("/accounts")
def post_account():
    return one("accounts", create_account(store(), body()), 201)


@bp.get("/accounts/<account_id>")
def get_account(account_id):
    return one("accounts", store().get("accounts", account_id))


@bp.put("/accounts/<account_id>")
def put_account(account_id):
    sb, data = store(), body()
    account = sb.get("accounts", account_id)
    unknown = set(data) - set(_ACCOUNT_FIELDS)
    if unknown:
        raise validation_error(sorted(unknown)[0], "cannot be updated here")
    account.update(data)
    sb.touch(account)
    sb.notify("account", "updated", account, account)
    return one("accounts", account)


@bp.get("/accounts/<account_id>/billing_info")
def get_billing_info(account_id):
    account = store().get("accounts", account_id)
    if not account.get("billing_info"):
        raise ApiError(404, "not_found", "Couldn't find BillingInfo for this account")
    return reply(render_billing_info(account, account["billing_info"]))


@bp.put("/accounts/<account_id>/billing_info")
def put_billing_info(account_id):
    sb = store()
    account = sb.get("accounts", account_id)
    info = set_billing_info(sb, account, body())
    sb.notify("account", "billing_info_updated", account, account)
    return reply(render_billing_info(account, info))


@bp.get("/accounts/<account_id>/transactions")
def account_transactions(account_id):
    sb = store()
    account = sb.get("accounts", account_id)
    mine = [t for t in sb.objects["transactions"].values() if t["account_id"] == account["id"]]
    return listing("transactions", transactions_matching(mine))


@bp.get("/accounts/<account_id>/invoices")
def account_invoices(account_id):
    sb = store()
    account = sb.get("accounts", account_id)
    mine = [i for i in sb.objects["invoices"].values() if i["account_id"] == account["id"]]
    return listing("invoices", invoices_matching(mine))


@bp.get("/accounts/<account_id>/subscriptions")
def account_subscriptions(account_id):
    sb = store()
    account = sb.get("accounts", account_id)
    mine = [s for s in sb.objects["subscriptions"].values() if s["account_id"] == account["id"]]
    return listing("subscriptions", subscriptions_matching(mine))


@bp.get("/accounts/<account_id>/coupon_redemptions")
def account_redemptions(account_id):
    sb = store()
    account = sb.get("accounts", account_id)
    return listing("redemptions", [r for r in sb.objects["redemptions"].values()
                                   if r["account_id"] == account["id"]])


@bp.get("/accounts/<account_id>/coupon_redemptions/active")
def active_redemptions(account_id):
    sb = store()
    account = sb.get("accounts", account_id)
    return listing("redemptions", [r for r in sb.objects["redemptions"].values()
                                   if r["account_id"] == account["id"] and r["state"] == "active"])


@bp.post("/accounts/<account_id>/coupon_redemptions/active")
def post_redemption(account_id):
    sb, data = store(), body()
    account = sb.get("accounts", account_id)
    return one("redemptions", redeem_coupon(sb, account, data), 201)


def redeem_coupon(sb: Store, account: dict, data: dict) -> dict:
    """CouponRedemptionCreate: coupon_id (id or code-…), currency, optional subscription_id."""
    if not data.get("coupon_id"):
        raise validation_error("coupon_id", "is required")
    coupon = sb.lookup("coupons", data["coupon_id"])
    if coupon is None or coupon["state"] != "redeemable":
        raise validation_error("coupon_id", "is not a redeemable coupon")
    subscription = _target_subscription(sb, account, data.get("subscription_id"))
    sub_id = subscription["id"] if subscription else None
    if any(r["coupon_id"] == coupon["id"] and r["state"] == "active"
           and r["subscription_id"] == sub_id and r["account_id"] == account["id"]
           for r in sb.objects["redemptions"].values()):
        raise validation_error("coupon_id", "has already been redeemed")
    currency = data.get("currency") or (subscription or {}).get("currency") or "USD"
    redemption = sb.add("redemptions", {
        "account_id": account["id"], "coupon_id": coupon["id"], "subscription_id": sub_id,
        "currency": currency, "state": "active", "discounted": 0, "removed_at": None})
    if subscription:
        subscription["redemption_ids"].append(redemption["id"])
        sb.touch(subscription)
    sb.touch(account)
    return redemption


def _target_subscription(sb: Store, account: dict, subscription_id: str | None) -> dict | None:
    if not subscription_id:
        return None
    subscription = sb.lookup("subscriptions", subscription_id)
    if subscription is None or subscription["account_id"] != account["id"]:
        raise validation_error("subscription_id", "does not belong to this account")
    if subscription["state"] not in ("active", "canceled", "future"):
        raise validation_error("subscription_id", f"is {subscription['state']}")
    return subscription

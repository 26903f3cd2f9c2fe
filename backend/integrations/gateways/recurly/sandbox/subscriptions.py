"""Sandbox routes for subscriptions, with Recurly's lifecycle.

create -> active (trial: no invoice until the trial ends; else a paid charge invoice);
cancel (timeframe term_end|bill_date) -> "canceled" but still served until current_period_ends_at,
then "expired"; terminate (refund none|partial|full) -> "expired" now. Cancelling a canceled or
expired subscription, or terminating an expired one, is a 422 validation error.
"""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from decimal import Decimal

from flask import Blueprint, request

from . import billing
from .accounts import create_account, redeem_coupon
from .store import ApiError, Store, parse_money, parse_time, quantize, validation_error
from .web import body, listing, one, store, subscriptions_matching

bp = Blueprint("recurly_subscriptions", __name__)


def create_subscription(sb: Store, data: dict) -> dict:
    """SubscriptionCreate: plan_code, currency, account {code…}, quantity, trial, coupon_codes."""
    plan = sb.lookup("plans", data.get("plan_id") or f"code-{data.get('plan_code')}")
    if plan is None:
        raise validation_error("plan_code", "is not a known plan")
    currency = str(data.get("currency") or "").upper()
    if currency not in plan["currencies"]:
        raise validation_error("currency", f"is not offered by plan {plan['code']}")
    account = _account_for(sb, data.get("account") or {})
    quantity = int(data.get("quantity", 1))
    if quantity < 1:
        raise validation_error("quantity", "must be at least 1")
    unit = (parse_money(data["unit_amount"], currency, "unit_amount") if "unit_amount" in data
            else plan["currencies"][currency]["unit_amount"])
    trial_end = _trial_end(sb, plan, data.get("trial_ends_at"))
    sub = sb.add("subscriptions", {
        "account_id": account["id"], "plan_id": plan["id"], "state": "active",
        "currency": currency, "unit_amount": unit, "quantity": quantity, "auto_renew": True,
        "collection_method": data.get("collection_method", "automatic"),
        "customer_notes": data.get("customer_notes"), "redemption_ids": [],
        "activated_at": sb.now(), "canceled_at": None, "expires_at": None,
        "expiration_reason": None, "trial_started_at": sb.now() if trial_end else None,
        "trial_ends_at": trial_end})
    try:
        redemptions = [redeem_coupon(sb, account, {"coupon_id": f"code-{code}",
                                                   "subscription_id": sub["id"]})
                       for code in data.get("coupon_codes") or []]
        _start_period(sb, sub, plan, sb.now(), tuple(redemptions), first=True)
    except ApiError:
        _forget(sb, sub)
        raise
    sb.notify("subscription", "created", sub, account)
    return sub


def cancel(sb: Store, sub: dict, timeframe: str) -> dict:
    """Stop renewing: the subscription stays usable until the end of the period/term."""
    if timeframe not in ("term_end", "bill_date"):
        raise validation_error("timeframe", "must be term_end or bill_date")
    if sub["state"] != "active":
        raise validation_error("subscription", f"is {sub['state']} and cannot be canceled")
    sub.update(state="canceled", canceled_at=sb.now(), expires_at=sub["current_period_ends_at"])
    sb.touch(sub)
    sb.notify("subscription", "canceled", sub, sb.objects["accounts"][sub["account_id"]])
    return sub


def terminate(sb: Store, sub: dict, refund: str) -> dict:
    """End now, refunding none, the unused part (partial) or all (full) of the last invoice."""
    if refund not in ("none", "partial", "full"):
        raise validation_error("refund", "must be none, partial or full")
    if sub["state"] not in ("active", "canceled"):
        raise validation_error("subscription", f"is {sub['state']} and cannot be terminated")
    invoice = _last_paid_invoice(sb, sub)
    amount = _termination_refund(sb, sub, invoice, refund) if invoice else Decimal(0)
    if amount > 0:
        billing.refund_amount(sb, invoice, amount)
    now = sb.now()
    sub.update(state="expired", expires_at=now, canceled_at=sub["canceled_at"] or now,
               expiration_reason="terminated", current_period_ends_at=now)
    sb.touch(sub)
    sb.notify("subscription", "expired", sub, sb.objects["accounts"][sub["account_id"]])
    return sub


def run_lifecycle(sb: Store) -> None:
    """After the clock moves: expire canceled subscriptions, end trials, renew active ones."""
    now = sb.now()
    for sub in list(sb.objects["subscriptions"].values()):
        for _ in range(120):  # at most ten years of monthly renewals per clock jump
            end = sub.get("current_period_ends_at")
            if sub["state"] not in ("active", "canceled") or end is None or end > now:
                break
            if sub["state"] == "canceled":
                sub.update(state="expired", expiration_reason="canceled")
                sb.touch(sub)
                sb.notify("subscription", "expired", sub,
                          sb.objects["accounts"][sub["account_id"]])
                break
            _start_period(sb, sub, sb.objects["plans"][sub["plan_id"]], end, (), first=False)
            sb.notify("subscription", "renewed", sub, sb.objects["accounts"][sub["account_id"]])


# --- helpers ------------------------------------------------------------------------------------
def _account_for(sb: Store, data: dict) -> dict:
    existing = sb.lookup("accounts", f"code-{data.get('code')}") if data.get("code") else None
    return existing or create_account(sb, data)


def _trial_end(sb: Store, plan: dict, requested) -> datetime | None:
    if requested:
        end = parse_time(requested, "trial_ends_at")
        if end <= sb.now():
            raise validation_error("trial_ends_at", "must be in the future")
        return end
    if plan["trial_length"]:
        return _add(sb.now(), plan["trial_unit"], plan["trial_length"])
    return None


def _start_period(sb: Store, sub: dict, plan: dict, start: datetime, redemptions, *,
                  first: bool) -> None:
    """Open the next billing period; bill it unless it is the free trial.

    A declined first payment fails the create call; a declined renewal only goes past due.
    """
    in_trial = sub["trial_ends_at"] is not None and start < sub["trial_ends_at"]
    end = sub["trial_ends_at"] if in_trial else _add(start, plan["interval_unit"],
                                                     plan["interval_length"])
    sub.update(current_period_started_at=start, current_period_ends_at=end,
               current_term_started_at=start, current_term_ends_at=end)
    sb.touch(sub)
    if in_trial:
        return
    active = redemptions or tuple(sb.objects["redemptions"][r] for r in sub["redemption_ids"])
    account = sb.objects["accounts"][sub["account_id"]]
    line = {"description": f"{plan['name']} subscription", "unit_amount": sub["unit_amount"],
            "quantity": sub["quantity"], "subscription_id": sub["id"],
            "plan_code": plan["code"], "start_date": start, "end_date": end}
    billing.charge_account(sb, account, sub["currency"], [line], subscription=sub,
                           collection_method=sub["collection_method"], redemptions=active,
                           raise_on_decline=first)


def _forget(sb: Store, sub: dict) -> None:
    sb.objects["subscriptions"].pop(sub["id"], None)
    for rid in sub["redemption_ids"]:
        sb.objects["redemptions"].pop(rid, None)


def _last_paid_invoice(sb: Store, sub: dict) -> dict | None:
    paid = [i for i in sb.objects["invoices"].values()
            if i["type"] == "charge" and sub["id"] in i["subscription_ids"] and i["paid"] > 0]
    return max(paid, key=lambda i: i["_seq"]) if paid else None


def _termination_refund(sb: Store, sub: dict, invoice: dict, refund: str) -> Decimal:
    if refund == "full":
        return invoice["refundable_amount"]
    if refund == "none":
        return Decimal(0)
    start, end = sub["current_period_started_at"], sub["current_period_ends_at"]
    unused = max((end - sb.now()).total_seconds(), 0) / max((end - start).total_seconds(), 1)
    share = quantize(invoice["paid"] * Decimal(str(round(unused, 6))), invoice["currency"])
    return min(share, invoice["refundable_amount"])


def _add(moment: datetime, unit: str, length: int) -> datetime:
    if unit == "days":
        return moment + timedelta(days=length)
    month_index = moment.month - 1 + length
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@bp.get("/subscriptions")
def list_subscriptions():
    return listing("subscriptions", subscriptions_matching(
        store().objects["subscriptions"].values()))


@bp.post("/subscriptions")
def post_subscription():
    return one("subscriptions", create_subscription(store(), body()), 201)


@bp.get("/subscriptions/<sub_id>")
def get_subscription(sub_id):
    return one("subscriptions", store().get("subscriptions", sub_id))


@bp.put("/subscriptions/<sub_id>/cancel")
def put_cancel(sub_id):
    sb = store()
    timeframe = body().get("timeframe", "term_end")
    return one("subscriptions", cancel(sb, sb.get("subscriptions", sub_id), timeframe))


@bp.delete("/subscriptions/<sub_id>")
def delete_subscription(sub_id):
    sb = store()
    refund = request.args.get("refund", "none")
    return one("subscriptions", terminate(sb, sb.get("subscriptions", sub_id), refund))


@bp.get("/subscriptions/<sub_id>/coupon_redemptions")
def subscription_redemptions(sub_id):
    sb = store()
    sub = sb.get("subscriptions", sub_id)
    return listing("redemptions", [sb.objects["redemptions"][r] for r in sub["redemption_ids"]])

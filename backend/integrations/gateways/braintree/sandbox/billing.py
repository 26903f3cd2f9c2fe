"""Vault and recurring billing: customers with cards, subscriptions with discounts, disputes.

Subscriptions follow Braintree: cancel is immediate and final (81905 the second time), trials
keep the subscription Active, discounts are modifiers added by inherited_from_id.
"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from . import transactions
from .store import DEFAULT_MERCHANT_ACCOUNT, ApiError, Store, quantize


def create_customer(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """POST /customers, optionally vaulting a card (which becomes the default payment method)."""
    customer_id = params.get("id") or store.new_id()
    if store.get("customer", customer_id):
        raise ApiError("91609", "Customer ID has already been taken.", scope="customer",
                       attribute="id")
    now = store.now()
    customer = {"id": customer_id, "first_name": params.get("first_name"),
                "last_name": params.get("last_name"), "email": params.get("email"),
                "company": params.get("company"), "phone": params.get("phone"),
                "created_at": now, "updated_at": now, "credit_cards": [], "addresses": []}
    card = _vault_card(store, customer_id, params)
    if card is not None:
        customer["credit_cards"].append(card)
    return store.put("customer", customer)


def _vault_card(store: Store, customer_id: str, params: dict[str, Any]) -> dict | None:
    number = (params.get("credit_card") or {}).get("number")
    nonce = params.get("payment_method_nonce")
    if not number and not nonce:
        return None
    if nonce and nonce not in transactions.TEST_NONCES:
        raise ApiError("91565", "Unknown or expired payment_method_nonce.", scope="customer")
    number = number or transactions.TEST_NONCES[nonce]
    details = params.get("credit_card") or {}
    card = transactions.card_from_number(
        str(number), token=details.get("token") or store.new_id(), customer_id=customer_id,
        expiration=str(details.get("expiration_date") or "12/2030"))
    card.update(default=True, created_at=store.now(), subscriptions=[])
    store.objects["payment_method"][card["token"]] = card
    return card


def create_subscription(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """POST /subscriptions: plan + vaulted card, optional trial and discounts."""
    sub_id = params.get("id") or store.new_id()
    if store.get("subscription", sub_id):
        raise ApiError("81902", "ID has already been taken.", scope="subscription", attribute="id")
    plan = store.get("plan", params.get("plan_id") or "")
    if plan is None:
        raise ApiError("91904", "Plan ID is invalid.", scope="subscription", attribute="plan_id")
    if store.get("payment_method", params.get("payment_method_token") or "") is None:
        raise ApiError("91903", "Payment method token is invalid.", scope="subscription",
                       attribute="payment_method_token")
    sub = _new_subscription(store, sub_id, plan, params)
    _add_discounts(store, sub, (params.get("discounts") or {}).get("add") or [])
    if not sub["trial_period"]:
        _charge_first_cycle(store, sub)
    sub["next_billing_period_amount"] = _net_price(sub)
    return store.put("subscription", sub)


def _trial_days(params: dict[str, Any]) -> int:
    if not params.get("trial_period"):
        return 0
    if params.get("trial_duration") in (None, ""):
        raise ApiError("81908", "Trial Duration is required.", scope="subscription",
                       attribute="trial_duration")
    unit = params.get("trial_duration_unit") or "day"
    return int(params["trial_duration"]) * (30 if unit == "month" else 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def _new_subscription(store: Store, sub_id: str, plan: dict, params: dict) -> dict[str, Any]:
    now = store.now()
    trial = _trial_days(params)
    first_billing = now.date() + dt.timedelta(days=trial)
    price = quantize(params.get("price") or plan["price"], plan["currency_iso_code"],
                     scope="subscription")
    inherited = [] if (params.get("options") or {}).get("do_not_inherit_add_ons_or_discounts") \
        else [dict(d) for d in plan["discounts"]]
    return {"id": sub_id, "plan_id": plan["id"], "price": price, "status": "Active",
            "payment_method_token": params["payment_method_token"],
            "merchant_account_id": DEFAULT_MERCHANT_ACCOUNT, "created_at": now,
            "updated_at": now, "first_billing_date": first_billing,
            "next_billing_date": first_billing if trial else _add_months(first_billing, 1),
            "billing_period_start_date": None if trial else first_billing,
            "billing_period_end_date": None if trial else _add_months(first_billing, 1),
            "paid_through_date": None, "billing_day_of_month": first_billing.day,
            "current_billing_cycle": 0, "number_of_billing_cycles":
                params.get("number_of_billing_cycles"), "never_expires":
                params.get("number_of_billing_cycles") is None,
            "trial_period": bool(trial), "trial_duration": params.get("trial_duration"),
            "trial_duration_unit": params.get("trial_duration_unit") if trial else None,
            "balance": Decimal("0.00"), "days_past_due": None, "failure_count": 0,
            "description": None, "discounts": inherited, "add_ons": [], "transactions": [],
            "status_history": [], "next_billing_period_amount": price}


def _add_discounts(store: Store, sub: dict[str, Any], additions: list[dict]) -> None:
    """discounts.add[].inherited_from_id: a merchant discount; no duplicates (91911)."""
    for item in additions:
        discount = store.get("discount", (item or {}).get("inherited_from_id") or "")
        if discount is None:
            raise ApiError("92013", "Inherited From ID is invalid.", scope="subscription",
                           attribute="inherited_from_id")
        if any(d["id"] == discount["id"] for d in sub["discounts"]):
            raise ApiError("91911", "Cannot add duplicate add-on or discount.",
                           scope="subscription")
        amount = discount["amount"]
        if item.get("amount") not in (None, ""):
            amount = quantize(item["amount"], "USD", scope="subscription")
        sub["discounts"].append({**discount, "amount": amount, "current_billing_cycle": 0,
                                 "quantity": int(item.get("quantity") or 1)})
    _status_event(store, sub)


def _net_price(sub: dict[str, Any]) -> Decimal:
    off = sum((d["amount"] * d.get("quantity", 1) for d in sub["discounts"]), Decimal(0))
    return max(sub["price"] - off, Decimal("0.00"))


def _charge_first_cycle(store: Store, sub: dict[str, Any]) -> None:
    """Without a trial Braintree bills the first cycle at once: a submitted sale."""
    amount = _net_price(sub)
    sub.update(current_billing_cycle=1, paid_through_date=sub["billing_period_end_date"])
    if amount <= 0:
        return
    tx = transactions.create(store, {"type": "sale", "amount": str(amount),
                                     "payment_method_token": sub["payment_method_token"],
                                     "subscription_id": sub["id"],
                                     "options": {"submit_for_settlement": True}})
    tx["plan_id"] = sub["plan_id"]
    sub["transactions"].insert(0, tx)


def _status_event(store: Store, sub: dict[str, Any]) -> None:
    sub["updated_at"] = store.now()
    sub["status_history"].append({"status": sub["status"], "timestamp": sub["updated_at"],
                                  "price": sub["price"], "balance": sub["balance"],
                                  "subscription_source": "api", "user": "chargedesk_sandbox",
                                  "plan_id": sub["plan_id"], "currency_iso_code": "USD"})


def cancel_subscription(store: Store, sub: dict[str, Any]) -> dict[str, Any]:
    if sub["status"] == "Canceled":
        raise ApiError("81905", "Subscription has already been canceled.", scope="subscription",
                       attribute="status")
    sub["status"] = "Canceled"
    _status_event(store, sub)
    return sub


def update_subscription(store: Store, sub: dict[str, Any], params: dict) -> dict[str, Any]:
    """PUT /subscriptions/{id}: add/remove discounts, change price; all or nothing."""
    if sub["status"] == "Canceled":
        raise ApiError("81901", "Subscription has been canceled and cannot be updated.",
                       scope="subscription")
    draft = {**sub, "status_history": list(sub["status_history"])}
    if params.get("price") not in (None, ""):
        draft["price"] = quantize(params["price"], "USD", scope="subscription")
    changes = params.get("discounts") or {}
    removed = set(changes.get("remove") or [])
    draft["discounts"] = [d for d in sub["discounts"] if d["id"] not in removed]
    _add_discounts(store, draft, changes.get("add") or [])
    draft["next_billing_period_amount"] = _net_price(draft)
    sub.update(draft)
    return sub


def open_dispute(store: Store, transaction_id: str, *, amount: str | None = None,
                 reason: str = "fraud", status: str = "open") -> dict[str, Any]:
    """Test control: a chargeback on a transaction (not an API call merchants can make)."""
    tx = store.get("transaction", transaction_id)
    if tx is None:
        raise KeyError(f"no transaction {transaction_id!r}")
    now = store.now()
    disputed = quantize(amount or tx["amount"], tx["currency_iso_code"], scope="dispute")
    dispute = {"id": store.new_id(), "amount": disputed, "amount_disputed": disputed,
               "amount_won": Decimal(0), "currency_iso_code": tx["currency_iso_code"],
               "kind": "chargeback", "reason": reason, "status": status,
               "case_number": f"CASE-{store.new_id()}", "created_at": now, "updated_at": now,
               "received_date": now.date(), "reply_by_date": now.date() + dt.timedelta(days=7),
               "merchant_account_id": tx["merchant_account_id"], "evidence": [],
               "status_history": [], "transaction": {"id": tx["id"], "amount": tx["amount"],
                                                     "created_at": tx["created_at"],
                                                     "order_id": tx["order_id"]}}
    tx["disputes"].append({k: v for k, v in dispute.items() if k != "transaction"})
    return store.put("dispute", dispute)

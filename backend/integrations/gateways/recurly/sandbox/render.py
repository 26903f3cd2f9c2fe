"""Stored sandbox objects -> the JSON shapes of Recurly API v2021-02-25 (see its openapi/api.yaml).

Amounts leave as JSON numbers in major units (Decimal -> float prints the same digits for the
few significant digits money has); timestamps as "YYYY-MM-DDTHH:MM:SSZ".
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from .store import Store, format_time


class WireEncoder(json.JSONEncoder):
    """JSON with Decimal amounts as numbers and datetimes in Recurly's format."""

    def default(self, value):
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, datetime):
            return format_time(value)
        return super().default(value)


def dumps(payload) -> bytes:
    return json.dumps(payload, cls=WireEncoder).encode()


def public(obj: dict, *fields: str) -> dict:
    """The named fields of a stored object, without sandbox bookkeeping."""
    return {name: obj.get(name) for name in fields}


def account_mini(store: Store, account_id: str | None) -> dict | None:
    account = store.objects["accounts"].get(account_id)
    if account is None:
        return None
    return {"object": "account_mini", **public(
        account, "id", "code", "email", "first_name", "last_name", "company")}


def account(store: Store, obj: dict) -> dict:
    subs = [s for s in store.objects["subscriptions"].values() if s["account_id"] == obj["id"]]
    billing = obj.get("billing_info")
    return {"object": "account", **public(
        obj, "id", "code", "state", "email", "first_name", "last_name", "company",
        "vat_number", "tax_exempt", "address", "created_at", "updated_at"),
        "cc_emails": obj.get("cc_emails"),
        "billing_info": billing_info(obj, billing) if billing else None,
        "has_live_subscription": any(s["state"] in ("active", "canceled") for s in subs),
        "has_active_subscription": any(s["state"] == "active" for s in subs),
        "has_canceled_subscription": any(s["state"] == "canceled" for s in subs),
        "has_past_due_invoice": any(i["account_id"] == obj["id"] and i["state"] == "past_due"
                                    for i in store.objects["invoices"].values())}


def billing_info(owner: dict, info: dict) -> dict:
    return {"object": "billing_info", "account_id": owner["id"], **public(
        info, "id", "first_name", "last_name", "company", "vat_number", "address",
        "payment_method", "valid", "created_at", "updated_at")}


def plan(store: Store, obj: dict) -> dict:
    return {"object": "plan", **public(
        obj, "id", "code", "name", "state", "interval_unit", "interval_length", "trial_unit",
        "trial_length", "created_at", "updated_at"),
        "currencies": [{"currency": cur, "unit_amount": price["unit_amount"],
                        "setup_fee": price.get("setup_fee", Decimal(0))}
                       for cur, price in obj["currencies"].items()]}


def plan_mini(store: Store, plan_id: str) -> dict:
    return {"object": "plan_mini", **public(store.objects["plans"][plan_id], "id", "code", "name")}


def coupon(store: Store, obj: dict) -> dict:
    return {"object": "coupon", **public(
        obj, "id", "code", "name", "state", "discount", "duration", "coupon_type",
        "redemption_resource", "created_at", "updated_at")}


def coupon_mini(store: Store, coupon_id: str) -> dict:
    return {"object": "coupon_mini", **public(
        store.objects["coupons"][coupon_id], "id", "code", "name", "state", "discount")}


def redemption(store: Store, obj: dict) -> dict:
    return {"object": "coupon_redemption", **public(
        obj, "id", "subscription_id", "currency", "state", "discounted", "created_at",
        "updated_at", "removed_at"),
        "account": account_mini(store, obj["account_id"]),
        "coupon": coupon(store, store.objects["coupons"][obj["coupon_id"]])}


def redemption_mini(store: Store, obj: dict) -> dict:
    return {"object": "coupon_redemption_mini",
            **public(obj, "id", "state", "discounted", "created_at"),
            "coupon": coupon_mini(store, obj["coupon_id"])}


def subscription(store: Store, obj: dict) -> dict:
    redemptions = [redemption_mini(store, store.objects["redemptions"][rid])
                   for rid in obj["redemption_ids"]]
    return {"object": "subscription", **public(
        obj, "id", "uuid", "state", "currency", "unit_amount", "quantity", "collection_method",
        "auto_renew", "current_period_started_at", "current_period_ends_at",
        "current_term_started_at", "current_term_ends_at", "trial_started_at", "trial_ends_at",
        "activated_at", "canceled_at", "expires_at", "expiration_reason", "customer_notes",
        "created_at", "updated_at"),
        "account": account_mini(store, obj["account_id"]),
        "plan": plan_mini(store, obj["plan_id"]),
        "subtotal": obj["unit_amount"] * obj["quantity"],
        "coupon_redemptions": redemptions}


def invoice_mini(store: Store, invoice_id: str | None) -> dict | None:
    found = store.objects["invoices"].get(invoice_id)
    if found is None:
        return None
    return {"object": "invoice_mini", **public(found, "id", "number", "type", "state")}


def transaction(store: Store, obj: dict) -> dict:
    return {"object": "transaction", **public(
        obj, "id", "uuid", "type", "origin", "currency", "amount", "status", "success",
        "refunded", "original_transaction_id", "subscription_ids", "collection_method",
        "payment_method", "status_code", "status_message", "customer_message",
        "created_at", "updated_at", "collected_at", "voided_at"),
        "account": account_mini(store, obj["account_id"]),
        "invoice": invoice_mini(store, obj.get("invoice_id"))}


def line_item(store: Store, invoice: dict, obj: dict) -> dict:
    return {"object": "line_item", "invoice_id": invoice["id"],
            "invoice_number": invoice["number"], **public(
                obj, "id", "uuid", "type", "state", "description", "currency", "unit_amount",
                "quantity", "subtotal", "discount", "tax", "amount", "refund",
                "refunded_quantity", "subscription_id", "plan_code",
                "original_line_item_invoice_id", "previous_line_item_id",
                "start_date", "end_date", "created_at", "updated_at"),
            "account": account_mini(store, invoice["account_id"])}


def invoice(store: Store, obj: dict) -> dict:
    txns = [transaction(store, store.objects["transactions"][tid])
            for tid in obj["transaction_ids"]]
    return {"object": "invoice", **public(
        obj, "id", "uuid", "type", "origin", "state", "number", "collection_method",
        "net_terms", "po_number", "customer_notes", "currency", "subtotal", "discount", "tax",
        "total", "paid", "balance", "refundable_amount", "tax_info", "vat_number",
        "vat_reverse_charge_notes", "previous_invoice_id", "subscription_ids", "due_at",
        "closed_at", "created_at", "updated_at"),
        "account": account_mini(store, obj["account_id"]),
        "line_items": [line_item(store, obj, li) for li in obj["line_items"]],
        "has_more_line_items": False,
        "transactions": txns}


RENDERERS = {
    "accounts": account, "plans": plan, "coupons": coupon, "redemptions": redemption,
    "subscriptions": subscription, "invoices": invoice, "transactions": transaction,
}

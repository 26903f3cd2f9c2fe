"""Objects as the WooCommerce REST API v3 returns them (money as strings, GMT dates without zone)."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from .store import Store


def when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S")


def _dates(obj: dict, *names: str) -> dict:
    out = {}
    for name in names:
        out[name] = out[f"{name}_gmt"] = when(obj.get(name))
    return out


def customer(_store: Store, c: dict) -> dict:
    return {"id": c["id"], "email": c["email"], "first_name": c["first_name"],
            "last_name": c["last_name"], "role": c["role"], "username": c["username"],
            "billing": c["billing"], "is_paying_customer": False, "meta_data": [],
            **_dates(c, "date_created")}


def order(store: Store, o: dict) -> dict:
    refunds = [{"id": r, "reason": store.refunds[r]["reason"], "total": f"-{store.refunds[r]['amount']}"}
               for r in o["refund_ids"]]
    return {"id": o["id"], "parent_id": 0, "number": o["number"], "order_key": o["order_key"],
            "created_via": "checkout", "status": o["status"], "currency": o["currency"],
            "total": o["total"], "total_tax": "0.00", "customer_id": o["customer_id"],
            "billing": o["billing"], "payment_method": o["payment_method"],
            "payment_method_title": o["payment_method_title"], "transaction_id": o["transaction_id"],
            "line_items": o["line_items"], "refunds": refunds, "meta_data": o["meta_data"],
            **_dates(o, "date_created", "date_modified", "date_paid")}


def refund(_store: Store, r: dict) -> dict:
    return {"id": r["id"], "amount": r["amount"], "reason": r["reason"], "refunded_by": r["refunded_by"],
            "refunded_payment": r["refunded_payment"], "meta_data": r["meta_data"],
            "line_items": r["line_items"], **_dates(r, "date_created")}


def subscription(_store: Store, s: dict) -> dict:
    return {"id": s["id"], "parent_id": 0, "status": s["status"], "currency": s["currency"],
            "total": s["total"], "customer_id": s["customer_id"], "billing": s["billing"],
            "billing_period": s["billing_period"], "billing_interval": s["billing_interval"],
            "line_items": s["line_items"], "meta_data": [],
            **_dates(s, "date_created", "next_payment_date", "end_date", "trial_end_date",
                     "cancelled_date")}


def note(_store: Store, n: dict) -> dict:
    return {"id": n["id"], "note": n["note"], "customer_note": n["customer_note"],
            "author": n["author"], **_dates(n, "date_created")}


def refund_with_parent(store: Store, r: dict) -> dict:
    return {**refund(store, r), "parent_id": r["order_id"]}


RENDERERS = {"customers": customer, "orders": order, "refunds": refund, "all_refunds": refund_with_parent,
             "subscriptions": subscription}


def dumps(payload) -> str:
    return json.dumps(payload, default=lambda v: str(v) if isinstance(v, Decimal) else when(v),
                      separators=(",", ":"))

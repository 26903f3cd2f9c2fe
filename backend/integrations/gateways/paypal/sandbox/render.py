"""Sandbox objects rendered as PayPal's REST API returns them (v2 orders/payments, v1 billing, v2 invoicing)."""
from __future__ import annotations

from decimal import Decimal

from .store import Store, stamp, text


def amount(value: Decimal, currency: str) -> dict:
    return {"currency_code": currency, "value": text(value, currency)}


def link(base: str, path: str, rel: str, method: str = "GET") -> dict:
    return {"href": f"{base}{path}", "rel": rel, "method": method}


def capture(store: Store, c: dict, base: str) -> dict:
    links = [link(base, f"/v2/payments/captures/{c['id']}", "self"),
             link(base, f"/v2/payments/captures/{c['id']}/refund", "refund", "POST")]
    if c["authorization_id"]:
        links.append(link(base, f"/v2/payments/authorizations/{c['authorization_id']}", "up"))
    return {"id": c["id"], "status": c["status"], "amount": amount(c["value"], c["currency"]),
            "final_capture": True, "invoice_id": c.get("invoice_id"),
            "seller_protection": {"status": "ELIGIBLE"},
            "supplementary_data": {"related_ids": {"order_id": c["order_id"],
                                                   **({"authorization_id": c["authorization_id"]}
                                                      if c["authorization_id"] else {})}},
            "create_time": stamp(c["create_time"]), "update_time": stamp(c["update_time"]), "links": links}


def authorization(store: Store, a: dict, base: str) -> dict:
    return {"id": a["id"], "status": a["status"], "amount": amount(a["value"], a["currency"]),
            "expiration_time": stamp(a["expiration_time"]),
            "supplementary_data": {"related_ids": {"order_id": a["order_id"]}},
            "create_time": stamp(a["create_time"]), "update_time": stamp(a["update_time"]),
            "links": [link(base, f"/v2/payments/authorizations/{a['id']}", "self")]}


def refund(store: Store, r: dict, base: str) -> dict:
    return {"id": r["id"], "status": r["status"], "amount": amount(r["value"], r["currency"]),
            "note_to_payer": r["note_to_payer"], "invoice_id": r["invoice_id"], "custom_id": r["custom_id"],
            "create_time": stamp(r["create_time"]), "update_time": stamp(r["update_time"]),
            "links": [link(base, f"/v2/payments/refunds/{r['id']}", "self"),
                      link(base, f"/v2/payments/captures/{r['capture_id']}", "up")]}


def order(store: Store, o: dict, base: str) -> dict:
    captures = [store.captures[c] for c in o["captures"]]
    payments = {"captures": [capture(store, c, base) for c in captures],
                "authorizations": [authorization(store, store.authorizations[a], base) for a in o["authorizations"]],
                "refunds": [refund(store, store.refunds[r], base) for c in captures for r in c["refunds"]]}
    unit = {"reference_id": "default", "amount": amount(o["value"], o["currency"]), "invoice_id": o.get("invoice_id"),
            "payments": {k: v for k, v in payments.items() if v}}
    body = {"id": o["id"], "intent": o["intent"], "status": o["status"], "purchase_units": [unit],
            "create_time": stamp(o["create_time"]), "links": [link(base, f"/v2/checkout/orders/{o['id']}", "self")]}
    if o["payer"]:
        body["payer"] = o["payer"]
    return body


def subscription(store: Store, s: dict, base: str) -> dict:
    plan = store.plans[s["plan_id"]]
    body = {"id": s["id"], "plan_id": s["plan_id"], "status": s["status"], "quantity": "1",
            "status_update_time": stamp(s["update_time"]), "create_time": stamp(s["create_time"]),
            "update_time": stamp(s["update_time"]),
            "subscriber": {"email_address": s["email"], "payer_id": s["payer_id"],
                           "name": {"given_name": s["name"][0], "surname": s["name"][1]}},
            "billing_info": {"outstanding_balance": amount(Decimal(0), plan["currency"]),
                             "last_payment": {"amount": amount(plan["value"], plan["currency"]),
                                              "time": stamp(s["create_time"])},
                             "cycle_executions": [{"tenure_type": "REGULAR", "sequence": 1, "cycles_completed": 1}]},
            "plan_overridden": False,
            "links": [link(base, f"/v1/billing/subscriptions/{s['id']}", "self")]}
    if s["next_billing_time"]:
        body["billing_info"]["next_billing_time"] = stamp(s["next_billing_time"])
    if s["status_change_note"]:
        body["status_change_note"] = s["status_change_note"]
    return body


def invoice(store: Store, i: dict, base: str) -> dict:
    currency = i["currency"]
    total = sum((line["value"] * line["quantity"] for line in i["items"]), Decimal(0))
    body = {"id": i["id"], "status": i["status"],
            "detail": {"invoice_number": i["number"], "currency_code": currency,
                       "metadata": {"create_time": stamp(i["create_time"])},
                       **({"payment_term": {"due_date": i["due_date"]}} if i["due_date"] else {})},
            "primary_recipients": [{"billing_info": {"email_address": i["email"],
                                                     **({"name": i["name"]} if i.get("name") else {})}}],
            "items": [{"name": line["name"], "quantity": str(line["quantity"]),
                       "unit_amount": amount(line["value"], currency)} for line in i["items"]],
            "amount": {"currency_code": currency, "value": text(total, currency),
                       "breakdown": {"item_total": amount(total, currency)}},
            "due_amount": amount(total - i["paid"], currency),
            "links": [link(base, f"/v2/invoicing/invoices/{i['id']}", "self")]}
    if i["status"] != "DRAFT":
        body["detail"]["metadata"]["recipient_view_url"] = f"{base}/invoice/p/#{i['id']}"
    if i["paid"]:
        body["payments"] = {"paid_amount": amount(i["paid"], currency)}
    return body


def transaction(store: Store, t: dict) -> dict:
    info = {"transaction_id": t["id"], "paypal_reference_id": t["order_id"], "paypal_reference_id_type": "ODR",
            "transaction_event_code": t["code"], "transaction_initiation_date": stamp(t["time"]),
            "transaction_updated_date": stamp(t["time"]),
            "transaction_amount": {"currency_code": t["currency"], "value": text(t["value"], t["currency"])},
            "transaction_status": t["status"]}
    body = {"transaction_info": info}
    if t["payer"]:
        payer = t["payer"]
        body["payer_info"] = {"account_id": payer["payer_id"], "email_address": payer["email_address"],
                              "payer_name": {"given_name": payer["name"]["given_name"],
                                             "surname": payer["name"]["surname"]}}
    return body

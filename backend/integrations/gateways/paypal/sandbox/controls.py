"""HTTP controls under /_sandbox/ (loopback only, not PayPal's API): health, reset, bulk seeding."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, request

from .app import STORE_KEY, reply
from .store import invalid

controls = Blueprint("paypal_sandbox_controls", __name__, url_prefix="/_sandbox")


@controls.get("/health")
def health():
    return reply({"ok": True})


@controls.post("/reset")
def reset():
    store = current_app.extensions[STORE_KEY]
    with store.lock:
        store.reset()
    return reply({"ok": True})


@controls.post("/seed_captures")
def seed_captures():
    """{count, value, currency, email, refund_every, days}: captured orders spread over `days` days."""
    store = current_app.extensions[STORE_KEY]
    data = request.get_json(silent=True) or {}
    try:
        count, every, days = int(data.get("count", 1)), int(data.get("refund_every", 0)), int(data.get("days", 1))
    except (TypeError, ValueError):
        raise invalid("INVALID_PARAMETER_VALUE", "count, refund_every and days must be integers") from None
    if not 1 <= count <= 1_000_000 or not 1 <= days <= 1000:
        raise invalid("INVALID_PARAMETER_VALUE", "count must be 1..1,000,000 and days 1..1000")
    value, currency = str(data.get("value", "10.00")), str(data.get("currency", "USD"))
    with store.lock:
        start = store.now() - timedelta(days=days)
        step = timedelta(days=days) / count
        for index in range(count):
            order = store.create_order("CAPTURE", {"currency_code": currency, "value": value},
                                       payer_email=data.get("email", f"bench{index % 500}@example.com"),
                                       when=start + step * index)
            store.capture_order(order["id"], when=start + step * index)
            if every and index % every == 0:
                store.refund_capture(order["captures"][0], {"amount": {"currency_code": currency, "value": "1.00"}})
        store.outbox = []
    return reply({"captures": count}, 201)

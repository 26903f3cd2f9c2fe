"""HTTP controls under /_sandbox/ (loopback only, no auth): reset, bulk seeding for benches, state.

Not part of WooCommerce's API; they let a bench or an out-of-process demo drive the sandbox.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request

from .app import STORE_KEY, reply
from .store import WooError

controls = Blueprint("woocommerce_sandbox_controls", __name__, url_prefix="/_sandbox")


@controls.get("/health")
def health():
    return reply({"ok": True})


@controls.post("/reset")
def reset():
    store = current_app.extensions[STORE_KEY]
    with store.lock:
        store.reset(subscriptions=bool((request.get_json(silent=True) or {}).get("subscriptions", True)))
    return reply({"ok": True})


@controls.post("/seed_orders")
def seed_orders():
    """{count, total, currency, email, refund_every, pending_every}: orders of one new customer
    (paid, every pending_every-th awaiting payment, every refund_every-th paid one partly refunded)."""
    store = current_app.extensions[STORE_KEY]
    data = request.get_json(silent=True) or {}
    try:
        count, every = int(data.get("count", 1)), int(data.get("refund_every", 0))
        unpaid_every = int(data.get("pending_every", 0))
    except (TypeError, ValueError):
        raise WooError(400, "rest_invalid_param", "count and refund_every must be integers") from None
    if not 1 <= count <= 1_000_000:
        raise WooError(400, "rest_invalid_param", "count must be between 1 and 1,000,000")
    with store.lock:
        customer = store.create_customer({"email": data.get("email", "bench@example.com"),
                                          "first_name": "Bench", "last_name": "Buyer"})
        for index in range(count):
            pending = bool(unpaid_every) and index % unpaid_every == 1
            order = store.create_order({"customer_id": customer["id"], "total": str(data.get("total", "10.00")),
                                        "status": "pending" if pending else "processing",
                                        "currency": data.get("currency", "USD"),
                                        "line_items": [{"name": "Widget", "total": str(data.get("total", "10.00"))}]})
            if every and index % every == 0 and not pending:
                store.create_refund(order["id"], {"amount": "1.00", "reason": "bench"})
        store.outbox = []
    return reply({"customer_id": customer["id"], "orders": count}, 201)

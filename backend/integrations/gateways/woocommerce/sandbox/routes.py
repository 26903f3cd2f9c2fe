"""REST routes: orders, order refunds, order actions and notes, customers, subscriptions."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from . import render
from .app import STORE_KEY, body, listing, reply
from .notify import deliver_pending
from .store import Store, WooError

bp = Blueprint("woocommerce_sandbox_api", __name__)


def store() -> Store:
    return current_app.extensions[STORE_KEY]


def run(action):
    """Run a change under the lock, then deliver the webhooks it queued."""
    sb = store()
    with sb.lock:
        result = action(sb)
        pending, sb.outbox = sb.outbox, []
    deliver_pending(sb, pending)
    return result


def _id_filter(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise WooError(400, "rest_invalid_param", f"Invalid parameter(s): {name}")
    return int(raw)


# --- orders ---------------------------------------------------------------------------------------
def _include() -> set[int] | None:
    raw = request.args.get("include")
    if raw is None:
        return None
    parts = [p for p in raw.split(",") if p]
    if not all(p.isdigit() for p in parts):
        raise WooError(400, "rest_invalid_param", "Invalid parameter(s): include")
    return {int(p) for p in parts}


@bp.get("/orders")
def list_orders():
    sb, customer, status = store(), _id_filter("customer"), request.args.get("status", "any")
    include = _include()
    with sb.lock:
        if include is not None:
            items = [sb.orders[i] for i in sorted(include) if i in sb.orders]
        elif customer is None and status == "any":
            items = list(sb.orders.values())
        else:
            items = [o for o in sb.orders.values()
                     if (customer is None or o["customer_id"] == customer)
                     and (status == "any" or o["status"] in status.split(","))]
        return listing(sb, "orders", items)


@bp.get("/refunds")
def list_all_refunds():
    """GET /wc/v3/refunds: every refund, whatever its order (parent_id names the order)."""
    sb = store()
    with sb.lock:
        if not sb.refunds_route:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")
        return listing(sb, "all_refunds", list(sb.refunds.values()))


@bp.post("/orders")
def create_order():
    return reply(run(lambda sb: render.order(sb, sb.create_order(body()))), 201)


@bp.get("/orders/<int:oid>")
def get_order(oid: int):
    sb = store()
    with sb.lock:
        return reply(render.order(sb, sb.order(oid)))


@bp.put("/orders/<int:oid>")
def update_order(oid: int):
    return reply(run(lambda sb: render.order(sb, sb.update_order(oid, body()))))


@bp.get("/orders/<int:oid>/refunds")
def list_refunds(oid: int):
    sb = store()
    with sb.lock:
        order = sb.order(oid)
        return listing(sb, "refunds", [sb.refunds[r] for r in order["refund_ids"]])


@bp.post("/orders/<int:oid>/refunds")
def create_refund(oid: int):
    return reply(run(lambda sb: render.refund(sb, sb.create_refund(oid, body()))), 201)


@bp.get("/orders/<int:oid>/refunds/<int:rid>")
def get_refund(oid: int, rid: int):
    sb = store()
    with sb.lock:
        refund = sb.refunds.get(rid)
        if refund is None or refund["order_id"] != oid:
            raise WooError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return reply(render.refund(sb, refund))


@bp.post("/orders/<int:oid>/actions/send_order_details")
def send_order_details(oid: int):
    return reply({"message": run(lambda sb: sb.send_order_details(oid))})


@bp.get("/orders/<int:oid>/notes")
def list_notes(oid: int):
    sb = store()
    with sb.lock:
        sb.order(oid)
        return reply([render.note(sb, n) for n in reversed(sb.notes.get(oid, []))])


@bp.post("/orders/<int:oid>/notes")
def add_note(oid: int):
    data = body()
    if not str(data.get("note") or "").strip():
        raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): note")
    return reply(run(lambda sb: render.note(sb, sb.add_note(oid, str(data["note"]),
                                                            customer_note=bool(data.get("customer_note"))))), 201)


# --- customers ------------------------------------------------------------------------------------
@bp.get("/customers")
def list_customers():
    sb, email = store(), request.args.get("email")
    with sb.lock:
        items = [c for c in sb.customers.values() if email is None or c["email"].lower() == email.lower()]
        return listing(sb, "customers", items)


@bp.post("/customers")
def create_customer():
    return reply(run(lambda sb: render.customer(sb, sb.create_customer(body()))), 201)


@bp.get("/customers/<int:cid>")
def get_customer(cid: int):
    sb = store()
    with sb.lock:
        return reply(render.customer(sb, sb.customer(cid)))


# --- subscriptions (only while the extension is active) -------------------------------------------
@bp.get("/subscriptions")
def list_subscriptions():
    sb = store()
    with sb.lock:
        sb.require_extension()
        return listing(sb, "subscriptions", list(sb.subscriptions.values()))


@bp.post("/subscriptions")
def create_subscription():
    return reply(run(lambda sb: render.subscription(sb, sb.create_subscription(body()))), 201)


@bp.get("/subscriptions/<int:sid>")
def get_subscription(sid: int):
    sb = store()
    with sb.lock:
        return reply(render.subscription(sb, sb.subscription(sid)))


@bp.put("/subscriptions/<int:sid>")
def update_subscription(sid: int):
    return reply(run(lambda sb: render.subscription(sb, sb.update_subscription(sid, body()))))

"""PayPal REST routes: orders v2, payments v2, billing subscriptions v1, invoicing v2, reporting v1."""
from __future__ import annotations

import bisect

from flask import Blueprint, current_app, request

from . import render
from .app import MAX_WINDOW, STORE_KEY, body, date_arg, int_arg, paged, reply
from .signing import CA_PATH, CERT_PATH
from .store import Store, invalid

bp = Blueprint("paypal_sandbox", __name__)


def store() -> Store:
    return current_app.extensions[STORE_KEY]


def base() -> str:
    return request.host_url.rstrip("/")


# --- orders ---------------------------------------------------------------------------------------
@bp.post("/v2/checkout/orders")
def create_order():
    data = body()
    units = data.get("purchase_units")
    if not isinstance(units, list) or len(units) != 1 or not isinstance(units[0], dict):
        raise invalid("MISSING_REQUIRED_PARAMETER", "purchase_units must hold one purchase unit")
    s = store()
    with s.lock:
        order = s.create_order(str(data.get("intent")), units[0].get("amount"), invoice_id=units[0].get("invoice_id"))
        return reply(render.order(s, order, base()), 201)


@bp.get("/v2/checkout/orders/<order_id>")
def get_order(order_id):
    s = store()
    with s.lock:
        return reply(render.order(s, s.order(order_id), base()))


@bp.post("/v2/checkout/orders/<order_id>/capture")
def capture_order(order_id):
    s = store()
    with s.lock:
        return reply(render.order(s, s.capture_order(order_id), base()), 201)


@bp.post("/v2/checkout/orders/<order_id>/authorize")
def authorize_order(order_id):
    s = store()
    with s.lock:
        return reply(render.order(s, s.authorize_order(order_id), base()), 201)


# --- payments -------------------------------------------------------------------------------------
@bp.get("/v2/payments/captures/<capture_id>")
def get_capture(capture_id):
    s = store()
    with s.lock:
        return reply(render.capture(s, s.capture(capture_id), base()))


@bp.post("/v2/payments/captures/<capture_id>/refund")
def refund_capture(capture_id):
    data = body()
    s = store()
    with s.lock:
        return reply(render.refund(s, s.refund_capture(capture_id, data), base()), 201)


@bp.get("/v2/payments/refunds/<refund_id>")
def get_refund(refund_id):
    s = store()
    with s.lock:
        if refund_id not in s.refunds:
            from .store import not_found
            raise not_found(refund_id)
        return reply(render.refund(s, s.refunds[refund_id], base()))


@bp.get("/v2/payments/authorizations/<auth_id>")
def get_authorization(auth_id):
    s = store()
    with s.lock:
        return reply(render.authorization(s, s.authorization(auth_id), base()))


@bp.post("/v2/payments/authorizations/<auth_id>/capture")
def capture_authorization(auth_id):
    data = body()
    s = store()
    with s.lock:
        return reply(render.capture(s, s.capture_authorization(auth_id, data.get("amount"), data.get("final_capture") is True), base()), 201)


@bp.post("/v2/payments/authorizations/<auth_id>/void")
def void_authorization(auth_id):
    s = store()
    with s.lock:
        auth = s.void_authorization(auth_id)
        if request.headers.get("Prefer") == "return=representation":
            return reply(render.authorization(s, auth, base()))
        return "", 204


# --- subscriptions --------------------------------------------------------------------------------
@bp.get("/v1/billing/subscriptions")
def list_subscriptions():
    page, size = int_arg("page", 1, 1, 100000), int_arg("page_size", 10, 1, 20)
    s = store()
    with s.lock:
        subs = sorted(s.subscriptions.values(), key=lambda x: (x["create_time"], x["id"]))
        chunk, total, pages = paged(subs, page, size)
        return reply({"subscriptions": [render.subscription(s, x, base()) for x in chunk],
                      "total_items": total, "total_pages": pages})


@bp.get("/v1/billing/subscriptions/<sub_id>")
def get_subscription(sub_id):
    s = store()
    with s.lock:
        return reply(render.subscription(s, s.subscription(sub_id), base()))


@bp.post("/v1/billing/subscriptions/<sub_id>/cancel")
def cancel_subscription(sub_id):
    data = body()
    s = store()
    with s.lock:
        s.cancel_subscription(sub_id, data.get("reason"))
    return "", 204


# --- invoicing ------------------------------------------------------------------------------------
@bp.get("/v2/invoicing/invoices")
def list_invoices():
    page, size = int_arg("page", 1, 1, 1000), int_arg("page_size", 20, 1, 100)
    s = store()
    with s.lock:
        invoices = sorted(s.invoices.values(), key=lambda x: (x["create_time"], x["id"]))
        chunk, total, pages = paged(invoices, page, size)
        payload = {"items": [render.invoice(s, x, base()) for x in chunk]}
        if request.args.get("total_required") == "true":
            payload.update(total_items=total, total_pages=pages)
        return reply(payload)


@bp.post("/v2/invoicing/invoices")
def create_invoice():
    data = body()
    s = store()
    with s.lock:
        return reply(render.invoice(s, s.create_invoice(data), base()), 201)


@bp.get("/v2/invoicing/invoices/<invoice_id>")
def get_invoice(invoice_id):
    s = store()
    with s.lock:
        return reply(render.invoice(s, s.invoice(invoice_id), base()))


@bp.post("/v2/invoicing/invoices/<invoice_id>/send")
def send_invoice(invoice_id):
    data = body()
    s = store()
    with s.lock:
        invoice = s.send_invoice(invoice_id, data)
        return reply({"href": f"{base()}/invoice/p/#{invoice['id']}", "rel": "payer-view", "method": "GET"})


@bp.post("/v2/invoicing/invoices/<invoice_id>/remind")
def remind_invoice(invoice_id):
    body()
    s = store()
    with s.lock:
        s.remind_invoice(invoice_id)
    return "", 204


# --- reporting ------------------------------------------------------------------------------------
@bp.get("/v1/reporting/transactions")
def search_transactions():
    """start_date/end_date (at most 31 days apart), page/page_size (1..500), transaction_type."""
    start, end = date_arg("start_date"), date_arg("end_date")
    if end < start or end - start > MAX_WINDOW:
        raise invalid("INVALID_DATE_RANGE", "end_date must be after start_date and at most 31 days later")
    page, size = int_arg("page", 1, 1, 10**6), int_arg("page_size", 100, 1, 500)
    code = request.args.get("transaction_type")
    s = store()
    with s.lock:
        window = s.transactions[bisect.bisect_left(s.transactions, start, key=lambda t: t["time"]):
                                bisect.bisect_right(s.transactions, end, key=lambda t: t["time"])]
        found = [t for t in window if code is None or t["code"] == code]
        chunk, total, pages = paged(found, page, size)
        return reply({"transaction_details": [render.transaction(s, t) for t in chunk],
                      "account_number": "SANDBOXMERCHANT", "start_date": request.args["start_date"],
                      "end_date": request.args["end_date"], "page": page, "total_items": total,
                      "total_pages": pages})


# --- webhook certificates -------------------------------------------------------------------------
@bp.get(CERT_PATH)
def certificate():
    return current_app.response_class(current_app.extensions["paypal_sandbox_keys"].chain_pem,
                                      content_type="application/x-pem-file")


@bp.get(CA_PATH)
def certificate_authority():
    """Not PayPal's: the sandbox's own root, trusted only for connections whose api_base is here."""
    return current_app.response_class(current_app.extensions["paypal_sandbox_keys"].ca_pem,
                                      content_type="application/x-pem-file")


@bp.post("/v1/notifications/verify-webhook-signature")
def verify_webhook_signature():
    """Checks a delivery as PayPal does: the event re-serialised, signed by this sandbox's key."""
    import base64
    import binascii
    import json

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from .signing import signed_message

    data = body()
    fields = ("auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time", "webhook_id")
    missing = [f for f in (*fields, "webhook_event") if not data.get(f)]
    if missing:
        raise invalid("MISSING_REQUIRED_PARAMETER", f"{', '.join(missing)} required")
    keys = current_app.extensions["paypal_sandbox_keys"]
    event = json.dumps(json.loads(request.get_data())["webhook_event"]).encode()  # no Decimal round trip
    message = signed_message(data["transmission_id"], data["transmission_time"], data["webhook_id"], event)
    try:
        keys.key.public_key().verify(base64.b64decode(data["transmission_sig"], validate=True), message,
                                     padding.PKCS1v15(), hashes.SHA256())
        status = "SUCCESS" if data["auth_algo"] == "SHA256withRSA" else "FAILURE"
    except (InvalidSignature, binascii.Error, ValueError):
        status = "FAILURE"
    return reply({"verification_status": status})

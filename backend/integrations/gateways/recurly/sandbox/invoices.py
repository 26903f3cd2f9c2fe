"""Sandbox routes for invoices, transactions and one-off purchases."""
from __future__ import annotations

from flask import Blueprint

from . import billing
from .accounts import create_account, redeem_coupon
from .render import invoice as render_invoice
from .render import line_item
from .store import Store, validation_error
from .web import body, invoices_matching, listing, one, reply, store, transactions_matching

bp = Blueprint("recurly_invoices", __name__)


def create_purchase(sb: Store, data: dict) -> dict:
    """PurchaseCreate with one-time `line_items` (subscriptions go through /subscriptions)."""
    currency = str(data.get("currency") or "").upper()
    if len(currency) != 3:
        raise validation_error("currency", "is required")
    if data.get("subscriptions"):
        raise validation_error("subscriptions", "are not supported by the sandbox's /purchases")
    lines = data.get("line_items") or []
    if not lines:
        raise validation_error("line_items", "must contain at least one charge")
    account_data = data.get("account") or {}
    account = (sb.lookup("accounts", f"code-{account_data.get('code')}")
               if account_data.get("code") else None) or create_account(sb, account_data)
    redemptions = tuple(redeem_coupon(sb, account, {"coupon_id": f"code-{code}",
                                                    "currency": currency})
                        for code in data.get("coupon_codes") or [])
    invoice = billing.charge_account(
        sb, account, currency, lines, redemptions=redemptions,
        collection_method=data.get("collection_method", "automatic"))
    invoice.update(customer_notes=data.get("customer_notes"), po_number=data.get("po_number"))
    return invoice


@bp.post("/purchases")
def post_purchase():
    sb = store()
    invoice = create_purchase(sb, body())
    return reply({"object": "invoice_collection", "charge_invoice": render_invoice(sb, invoice),
                  "credit_invoices": []}, 201)


@bp.get("/invoices")
def list_invoices():
    return listing("invoices", invoices_matching(store().objects["invoices"].values()))


@bp.get("/invoices/<invoice_id>")
def get_invoice(invoice_id):
    return one("invoices", store().get("invoices", invoice_id))


@bp.get("/invoices/<invoice_id>/line_items")
def invoice_line_items(invoice_id):
    sb = store()
    invoice = sb.get("invoices", invoice_id)
    # an invoice's line items are few: one page, in invoice order
    return reply({"object": "list", "has_more": False, "next": None,
                  "data": [line_item(sb, invoice, li) for li in invoice["line_items"]]})


@bp.post("/invoices/<invoice_id>/refund")
def post_refund(invoice_id):
    sb = store()
    credit = billing.refund_invoice(sb, sb.get("invoices", invoice_id), body())
    return one("invoices", credit, 201)


@bp.put("/invoices/<invoice_id>/collect")
def put_collect(invoice_id):
    sb = store()
    return one("invoices", billing.collect(sb, sb.get("invoices", invoice_id)))


@bp.put("/invoices/<invoice_id>/void")
def put_void(invoice_id):
    sb = store()
    return one("invoices", billing.void(sb, sb.get("invoices", invoice_id)))


@bp.get("/invoices/<invoice_id>/related_invoices")
def related_invoices(invoice_id):
    sb = store()
    invoice = sb.get("invoices", invoice_id)
    related = [i for i in sb.objects["invoices"].values()
               if i.get("previous_invoice_id") == invoice["id"]
               or invoice.get("previous_invoice_id") == i["id"]]
    return listing("invoices", related)


@bp.get("/transactions")
def list_transactions():
    return listing("transactions", transactions_matching(
        store().objects["transactions"].values()))


@bp.get("/transactions/<transaction_id>")
def get_transaction(transaction_id):
    return one("transactions", store().get("transactions", transaction_id))

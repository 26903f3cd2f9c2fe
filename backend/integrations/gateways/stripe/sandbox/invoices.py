"""Invoice routes: create, retrieve/list, update, finalize, send, pay, void, uncollectible, lines, payments."""
from __future__ import annotations

from . import invoice_math, invoicing
from .catalog import tax_rate_ids
from .errors import invalid, missing_param, unexpected_state
from .forms import get_bool, get_enum, get_int, get_list, get_str, merge_metadata
from .invoice_items import attach_pending_items, check_item, create_item
from .lists import list_response
from .promotions import discounts_from
from .routing import LIST_PARAMS, route
from .search import search_response
from .state import Call

_COLLECTION = ("charge_automatically", "send_invoice")
_EDITABLE = ("auto_advance", "collection_method", "days_until_due", "due_date", "description", "metadata",
             "default_tax_rates", "discounts", "footer", "default_payment_method", "custom_fields",
             "account_tax_ids", "rendering", "statement_descriptor", "automatic_tax", "on_behalf_of",
             "payment_settings", "shipping_cost", "shipping_details", "issuer", "number", "effective_at",
             "automatically_finalizes_at", "default_source", "transfer_data", "application_fee_amount")
_AFTER_FINALIZE = ("auto_advance", "metadata", "description", "footer")


def _collection(params: dict, current: dict) -> dict:
    method = get_enum(params, "collection_method", _COLLECTION, default=current.get("collection_method", "charge_automatically"))
    days = get_int(params, "days_until_due", minimum=0, default=current.get("_days_until_due"))
    due = get_int(params, "due_date", default=current.get("due_date"))
    if method == "send_invoice" and days is None and due is None:
        raise invalid("Invoices with `collection_method: send_invoice` require `days_until_due` or `due_date`.",
                      param="days_until_due")
    if method == "charge_automatically" and "days_until_due" in params:
        raise invalid("You can only set `days_until_due` if `collection_method` is `send_invoice`.",
                      param="days_until_due")
    return {"collection_method": method, "_days_until_due": days if method == "send_invoice" else None,
            "due_date": due if method == "send_invoice" else None}


def _simple_fields(call: Call, invoice: dict) -> dict:
    params = call.params
    changes = {"metadata": merge_metadata(invoice.get("metadata"), params)}
    for name in ("description", "footer", "statement_descriptor"):
        if name in params:
            changes[name] = get_str(params, name)
    if "auto_advance" in params:
        changes["auto_advance"] = get_bool(params, "auto_advance")
    if "default_tax_rates" in params:
        changes["default_tax_rates"] = tax_rate_ids(call, get_list(params, "default_tax_rates"), "default_tax_rates")
    if get_str(params, "default_payment_method"):
        changes["default_payment_method"] = call.get("payment_method", params["default_payment_method"],
                                                     param="default_payment_method")["id"]
    return changes


@route("POST", "/v1/invoices", _EDITABLE + ("customer", "subscription", "currency", "pending_invoice_items_behavior",
                                            "from_invoice", "customer_account"))
def create_invoice(call: Call) -> dict:
    params = call.params
    customer = call.get("customer", get_str(params, "customer", required=True), param="customer")
    subscription = get_str(params, "subscription")
    if subscription:
        call.get("subscription", subscription, param="subscription")
    behavior = get_enum(params, "pending_invoice_items_behavior", ("exclude", "include"), default="exclude")
    currency = (get_str(params, "currency") or customer.get("currency") or "usd").lower()
    collection = _collection(params, {})
    fields = _simple_fields(call, {})
    discount_items = get_list(params, "discounts") or []
    invoice = invoicing.new_invoice(call, customer, currency=currency, subscription=subscription, **collection, **fields)
    if discount_items:
        call.update(invoice, {"discounts": discounts_from(call, discount_items, customer=customer["id"],
                                                          invoice=invoice["id"])})
    if behavior == "include":
        attach_pending_items(call, invoice)
    invoice_math.recompute(call, invoice)
    return invoice


@route("GET", "/v1/invoices/<invoice_id>")
def retrieve_invoice(call: Call, invoice_id: str) -> dict:
    return call.get("invoice", invoice_id, param="invoice")


@route("POST", "/v1/invoices/<invoice_id>", _EDITABLE)
def update_invoice(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    if invoice["status"] != "draft":
        blocked = sorted(set(call.params) - set(_AFTER_FINALIZE) - {"expand"})
        if blocked:
            raise unexpected_state(f"You can only update {', '.join(_AFTER_FINALIZE)} on a finalized invoice "
                                   f"(received {blocked[0]}).", "invoice_not_editable", param=blocked[0])
    changes = _simple_fields(call, invoice)
    if invoice["status"] == "draft":
        changes.update(_collection(call.params, invoice))
        if "discounts" in call.params:
            changes["discounts"] = discounts_from(call, get_list(call.params, "discounts"),
                                                  customer=invoice["customer"], invoice=invoice["id"])
    previous = call.update(invoice, changes)
    if invoice["status"] == "draft":
        invoice_math.recompute(call, invoice)
    call.emit("invoice.updated", invoice, previous)
    return invoice


@route("DELETE", "/v1/invoices/<invoice_id>")
def delete_invoice(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    invoicing.require_draft(invoice, "delete")
    call.emit("invoice.deleted", invoice)
    call.store.remove("invoice", invoice_id)
    return {"id": invoice_id, "object": "invoice", "deleted": True}


@route("POST", "/v1/invoices/<invoice_id>/finalize", ("auto_advance",))
def finalize_invoice(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    if "auto_advance" in call.params and invoice["status"] == "draft":
        call.update(invoice, {"auto_advance": get_bool(call.params, "auto_advance")})
    return invoicing.finalize(call, invoice)


@route("POST", "/v1/invoices/<invoice_id>/send")
def send_invoice(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    if invoice["collection_method"] != "send_invoice":
        raise invalid("You can only manually send an invoice if its collection method is 'send_invoice'.",
                      param="collection_method")
    if invoice["status"] in ("void", "uncollectible"):
        raise unexpected_state(f"You can't send an invoice that is {invoice['status']}.", None)
    if invoice["status"] == "draft":
        invoicing.finalize(call, invoice)
    customer = call.get("customer", invoice["customer"], param="customer")
    call.state.invoice_sends.append({"invoice": invoice["id"], "number": invoice["number"], "to": customer.get("email"),
                                     "sent_at": call.now(), "hosted_invoice_url": invoice["hosted_invoice_url"]})
    call.emit("invoice.sent", invoice)
    return invoice


@route("POST", "/v1/invoices/<invoice_id>/pay", ("paid_out_of_band", "payment_method", "source", "forgive",
                                                  "off_session", "mandate"))
def pay_invoice(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    return invoicing.pay(call, invoice, pm_id=get_str(call.params, "payment_method") or get_str(call.params, "source"),
                         out_of_band=bool(get_bool(call.params, "paid_out_of_band", default=False)))


@route("POST", "/v1/invoices/<invoice_id>/void")
def void_invoice(call: Call, invoice_id: str) -> dict:
    return invoicing.void(call, call.get("invoice", invoice_id, param="invoice"))


@route("POST", "/v1/invoices/<invoice_id>/mark_uncollectible")
def mark_uncollectible(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    if invoice["status"] != "open":
        raise unexpected_state(f"You can only mark open invoices uncollectible; invoice {invoice_id} is "
                               f"{invoice['status']}.", None)
    call.update(invoice, {"status": "uncollectible", "status_transitions": {
        **invoice["status_transitions"], "marked_uncollectible_at": call.now()}})
    call.emit("invoice.marked_uncollectible", invoice)
    return invoice


@route("GET", "/v1/invoices", LIST_PARAMS + ("customer", "status", "subscription", "collection_method", "due_date",
                                             "customer_account"))
def list_invoices(call: Call) -> dict:
    status = get_enum(call.params, "status", ("draft", "open", "paid", "uncollectible", "void"))
    method = get_str(call.params, "collection_method")
    where = {"customer": get_str(call.params, "customer"), "subscription": get_str(call.params, "subscription")}
    return list_response(call, "invoice", "/v1/invoices", where=where, predicate=lambda inv: (
        (status is None or inv["status"] == status) and (method is None or inv["collection_method"] == method)))


@route("GET", "/v1/invoices/search", ("query", "limit", "page"))
def search_invoices(call: Call) -> dict:
    return search_response(call, "invoice", "/v1/invoices/search")


@route("GET", "/v1/invoices/<invoice_id>/lines", LIST_PARAMS)
def list_invoice_lines(call: Call, invoice_id: str) -> dict:
    call.get("invoice", invoice_id, param="invoice")
    return list_response(call, "line_item", f"/v1/invoices/{invoice_id}/lines", where={"invoice": invoice_id})


@route("POST", "/v1/invoices/<invoice_id>/add_lines", ("lines", "invoice_metadata"))
def add_lines(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    invoicing.require_draft(invoice, "add lines to")
    lines = get_list(call.params, "lines")
    if not lines:
        raise missing_param("lines")
    if not all(isinstance(line, dict) for line in lines):
        raise invalid("Each entry of `lines` must be an object.", param="lines")
    items = [{**line, "customer": invoice["customer"], "invoice": invoice_id, "currency": invoice["currency"]}
             for line in lines]
    for index, data in enumerate(items):
        check_item(call, data, f"lines[{index}]")
    metadata = merge_metadata(invoice.get("metadata"), call.params, "invoice_metadata")
    for index, data in enumerate(items):
        create_item(call, data, param_prefix=f"lines[{index}]")
    call.update(invoice, {"metadata": metadata})
    invoice_math.recompute(call, invoice)
    return invoice


@route("POST", "/v1/invoices/<invoice_id>/remove_lines", ("lines", "invoice_metadata"))
def remove_lines(call: Call, invoice_id: str) -> dict:
    invoice = call.get("invoice", invoice_id, param="invoice")
    invoicing.require_draft(invoice, "remove lines from")
    for index, line in enumerate(get_list(call.params, "lines") or []):
        found = call.get("line_item", line.get("id") if isinstance(line, dict) else None, param=f"lines[{index}][id]")
        if found["invoice"] != invoice_id:
            raise invalid(f"Line {found['id']} is not on invoice {invoice_id}.", param=f"lines[{index}][id]")
        call.store.remove("line_item", found["id"])
    invoice_math.recompute(call, invoice)
    return invoice


@route("GET", "/v1/invoice_payments", LIST_PARAMS + ("invoice", "payment", "status"))
def list_invoice_payments(call: Call) -> dict:
    intent = (call.params.get("payment") or {}).get("payment_intent") if isinstance(call.params.get("payment"), dict) else None
    return list_response(call, "invoice_payment", "/v1/invoice_payments",
                         where={"invoice": get_str(call.params, "invoice")},
                         predicate=(lambda p: p["payment"].get("payment_intent") == intent) if intent else None)


@route("GET", "/v1/invoice_payments/<payment_id>")
def retrieve_invoice_payment(call: Call, payment_id: str) -> dict:
    return call.get("invoice_payment", payment_id, param="invoice_payment")

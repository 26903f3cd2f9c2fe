"""Invoice items: pending charges for a customer, or lines added to a draft invoice."""
from __future__ import annotations

from . import invoice_math, invoicing
from .catalog import tax_rate_ids
from .errors import invalid, missing_param
from .forms import get_bool, get_dict, get_int, get_list, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call
from .views import render

_ITEM_PARAMS = ("customer", "amount", "currency", "description", "invoice", "quantity", "tax_rates", "discounts",
                "metadata", "period", "discountable", "subscription", "price", "pricing", "price_data",
                "unit_amount_decimal", "tax_behavior", "tax_code", "customer_account", "quantity_decimal")


def _price_and_amount(call: Call, data: dict, prefix: str) -> tuple[dict | None, int, int]:
    quantity = get_int(data, "quantity", default=1, minimum=0)
    pricing = get_dict(data, "pricing") or {}
    price_id = get_str(data, "price") or get_str(pricing, "price")
    if price_id:
        price = call.get("price", price_id, param=f"{prefix}pricing[price]")
        return price, price["unit_amount"] * quantity, quantity
    amount = get_int(data, "amount")
    if amount is None and get_str(data, "unit_amount_decimal"):
        amount = int(float(data["unit_amount_decimal"])) * quantity
    if amount is None:
        raise missing_param(f"{prefix}amount")
    return None, amount, quantity


def _target_invoice(call: Call, data: dict, customer_id: str, prefix: str) -> dict | None:
    invoice_id = get_str(data, "invoice")
    if not invoice_id:
        return None
    invoice = call.get("invoice", invoice_id, param=f"{prefix}invoice")
    invoicing.require_draft(invoice, "add invoice items to")
    if invoice["customer"] != customer_id:
        raise invalid(f"Invoice {invoice_id} belongs to a different customer.", param=f"{prefix}invoice")
    return invoice


def _currency(data: dict, price: dict | None, invoice: dict | None, prefix: str) -> str:
    currency = ((price or {}).get("currency") or get_str(data, "currency") or (invoice or {}).get("currency") or "")
    if not currency:
        raise missing_param(f"{prefix}currency")
    if invoice is not None and currency.lower() != invoice["currency"]:
        raise invalid(f"The currency of the invoice item ({currency}) must match the invoice's ({invoice['currency']}).",
                      param=f"{prefix}currency")
    return currency.lower()


def check_item(call: Call, data: dict, prefix: str = "") -> tuple:
    """Every check of an invoice item, without storing anything."""
    if not isinstance(data, dict):
        raise invalid("Invalid object", param=prefix.rstrip("[]") or None)
    customer = call.get("customer", get_str(data, "customer", required=True), param=f"{prefix}customer")
    price, amount, quantity = _price_and_amount(call, data, prefix)
    invoice = _target_invoice(call, data, customer["id"], prefix)
    currency = _currency(data, price, invoice, prefix)
    rates = tax_rate_ids(call, get_list(data, "tax_rates"), f"{prefix}tax_rates")
    return customer, price, amount, quantity, invoice, currency, rates


def create_item(call: Call, data: dict, *, param_prefix: str = "") -> dict:
    """Validate and store an invoice item; on a draft invoice it also becomes a line."""
    customer, price, amount, quantity, invoice, currency, rates = check_item(call, data, param_prefix)
    unit = price["unit_amount"] if price else amount // max(quantity, 1)
    item = call.insert({
        "id": call.new_id("ii_"), "object": "invoiceitem", "amount": amount, "currency": currency,
        "customer": customer["id"], "date": call.now(),
        "description": get_str(data, "description") or (_product_name(call, price) if price else None),
        "discountable": get_bool(data, "discountable", default=True), "invoice": invoice["id"] if invoice else None,
        "metadata": merge_metadata({}, data), "net_amount": amount,
        "period": get_dict(data, "period") or {"start": call.now(), "end": call.now()},
        "pricing": {"price_details": {"price": price["id"], "product": price["product"]} if price else None,
                    "type": "price_details", "unit_amount_decimal": str(unit)},
        "quantity": quantity, "quantity_decimal": str(quantity),
        "tax_rates": [render(call.store, call.store.get("tax_rate", r)) for r in rates],
    })
    if invoice is not None:
        _line_for(call, invoice, item, price, rates)
        invoice_math.recompute(call, invoice)
    call.emit("invoiceitem.created", item)
    return item


def _product_name(call: Call, price: dict) -> str | None:
    product = call.store.get("product", price["product"])
    return product.get("name") if product else None


def _line_for(call: Call, invoice: dict, item: dict, price: dict | None, rates: list[str]) -> dict:
    return invoicing.add_line(call, invoice, amount=item["amount"], quantity=item["quantity"],
                              description=item["description"], price=price, tax_rates=rates,
                              invoice_item=item["id"], period=item["period"], discountable=item["discountable"],
                              metadata=item["metadata"])


def attach_pending_items(call: Call, invoice: dict) -> None:
    """`pending_invoice_items_behavior=include`: move the customer's pending items onto `invoice`."""
    for item in list(call.store.all("invoiceitem")):
        if item["customer"] == invoice["customer"] and item["invoice"] is None and item["currency"] == invoice["currency"]:
            call.update(item, {"invoice": invoice["id"]})
            price_id = (item["pricing"].get("price_details") or {}).get("price")
            _line_for(call, invoice, item, call.store.get("price", price_id),
                      [rate["id"] for rate in item.get("tax_rates") or []])


def _lines_of_item(call: Call, item: dict) -> list[dict]:
    if not item.get("invoice"):
        return []
    return [line for line in invoice_math.invoice_lines(call, item["invoice"])
            if ((line.get("parent") or {}).get("invoice_item_details") or {}).get("invoice_item") == item["id"]]


def _editable_item(call: Call, item_id: str) -> dict:
    item = call.get("invoiceitem", item_id, param="invoiceitem")
    if item.get("invoice"):
        invoicing.require_draft(call.get("invoice", item["invoice"]), "edit items of")
    return item


@route("POST", "/v1/invoiceitems", _ITEM_PARAMS)
def create_invoice_item(call: Call) -> dict:
    return create_item(call, call.params)


@route("GET", "/v1/invoiceitems/<item_id>")
def retrieve_invoice_item(call: Call, item_id: str) -> dict:
    return call.get("invoiceitem", item_id, param="invoiceitem")


@route("POST", "/v1/invoiceitems/<item_id>", ("amount", "description", "metadata", "quantity", "discountable",
                                              "period", "tax_rates", "discounts", "pricing", "price_data"))
def update_invoice_item(call: Call, item_id: str) -> dict:
    item = _editable_item(call, item_id)
    params = call.params
    changes = {"metadata": merge_metadata(item.get("metadata"), params)}
    if "description" in params:
        changes["description"] = get_str(params, "description")
    if "amount" in params:
        changes["amount"] = changes["net_amount"] = get_int(params, "amount")
    previous = call.update(item, changes)
    for line in _lines_of_item(call, item):
        call.update(line, {"amount": item["amount"], "subtotal": item["amount"], "description": item["description"],
                           "metadata": item["metadata"]})
    if item.get("invoice"):
        invoice_math.recompute(call, call.get("invoice", item["invoice"]))
    call.emit("invoiceitem.updated", item, previous)
    return item


@route("DELETE", "/v1/invoiceitems/<item_id>")
def delete_invoice_item(call: Call, item_id: str) -> dict:
    item = _editable_item(call, item_id)
    for line in _lines_of_item(call, item):
        call.store.remove("line_item", line["id"])
    call.store.remove("invoiceitem", item_id)
    if item.get("invoice"):
        invoice_math.recompute(call, call.get("invoice", item["invoice"]))
    call.emit("invoiceitem.deleted", item)
    return {"id": item_id, "object": "invoiceitem", "deleted": True}


@route("GET", "/v1/invoiceitems", LIST_PARAMS + ("customer", "invoice", "pending", "customer_account"))
def list_invoice_items(call: Call) -> dict:
    customer, invoice = get_str(call.params, "customer"), get_str(call.params, "invoice")
    pending = get_bool(call.params, "pending")
    return list_response(call, "invoiceitem", "/v1/invoiceitems", predicate=lambda item: (
        (customer is None or item["customer"] == customer) and (invoice is None or item["invoice"] == invoice)
        and (pending is None or (item["invoice"] is None) == pending)))

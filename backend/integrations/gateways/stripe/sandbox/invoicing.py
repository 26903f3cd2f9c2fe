"""Invoice lifecycle shared by the invoice routes and subscriptions: draft, lines, finalize, pay, void."""
from __future__ import annotations

from . import invoice_math
from .charges import default_payment_method
from .errors import StripeApiError, unexpected_state
from .payment_intents import confirm_intent, create_intent
from .payment_methods import customer_pm
from .state import Call


def new_invoice(call: Call, customer: dict, *, currency: str, collection_method: str = "charge_automatically",
                days_until_due: int | None = None, subscription: str | None = None,
                billing_reason: str = "manual", **fields) -> dict:
    """A draft invoice with a snapshot of the customer's billing details."""
    now = call.now()
    invoice = call.insert({
        "id": call.new_id("in_"), "object": "invoice", "amount_due": 0, "amount_paid": 0, "amount_remaining": 0,
        "billing_reason": billing_reason, "collection_method": collection_method, "created": now,
        "currency": currency, "customer": customer["id"], "customer_address": customer.get("address"),
        "customer_email": customer.get("email"), "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"), "customer_shipping": customer.get("shipping"),
        "customer_tax_exempt": customer.get("tax_exempt", "none"), "_days_until_due": days_until_due,
        "period_end": now, "period_start": now, "status": "draft", "subtotal": 0, "subtotal_excluding_tax": 0,
        "total": 0, "total_excluding_tax": 0, "total_discount_amounts": [], "total_taxes": [],
        "subscription": subscription,
        "parent": {"quote_details": None, "subscription_details": {"metadata": {}, "subscription": subscription},
                   "type": "subscription_details"} if subscription else None,
        **fields,
    })
    call.emit("invoice.created", invoice)
    return invoice


def add_line(call: Call, invoice: dict, *, amount: int, quantity: int = 1, description: str | None = None,
             price: dict | None = None, tax_rates: list[str] | None = None, invoice_item: str | None = None,
             subscription_item: str | None = None, period: dict | None = None, discountable: bool = True,
             metadata: dict | None = None) -> dict:
    """Store one line on a draft invoice (call invoice_math.recompute afterwards)."""
    subscription = invoice.get("subscription") if subscription_item else None
    unit = price["unit_amount"] if price else (amount // quantity if quantity else amount)
    detail = {"invoice_item": invoice_item, "proration": False, "proration_details": {"credited_items": None}}
    parent = ({"invoice_item_details": {**detail, "subscription": None}, "subscription_item_details": None,
               "type": "invoice_item_details"} if invoice_item else
              {"invoice_item_details": None, "subscription_item_details": {
                  **detail, "subscription": subscription, "subscription_item": subscription_item},
               "type": "subscription_item_details"})
    return call.insert({
        "id": call.new_id("il_"), "object": "line_item", "amount": amount, "currency": invoice["currency"],
        "description": description, "discountable": discountable, "invoice": invoice["id"],
        "metadata": metadata or {}, "parent": parent, "period": period or {"end": call.now(), "start": call.now()},
        "pricing": {"price_details": {"price": price["id"], "product": price["product"]} if price else None,
                    "type": "price_details", "unit_amount_decimal": str(unit)},
        "quantity": quantity, "quantity_decimal": str(quantity), "subscription": subscription, "subtotal": amount,
        "_tax_rates": list(tax_rates or []),
    })


def require_draft(invoice: dict, action: str = "edit") -> None:
    if invoice["status"] != "draft":
        raise unexpected_state(f"You can only {action} draft invoices; invoice {invoice['id']} is "
                               f"{invoice['status']}.", "invoice_not_editable")


def finalize(call: Call, invoice: dict) -> dict:
    """draft -> open with a number (customer prefix + sequence); $0 invoices go straight to paid."""
    if invoice["status"] != "draft":
        raise unexpected_state(f"This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                               "invoice_not_editable")
    invoice_math.recompute(call, invoice)
    customer = call.get("customer", invoice["customer"], param="customer")
    sequence = customer.get("next_invoice_sequence", 1)
    call.update(customer, {"next_invoice_sequence": sequence + 1})
    now = call.now()
    days = invoice.get("_days_until_due")
    due = now + days * 86400 if days is not None else invoice.get("due_date")
    tax_ids = [{"type": t["type"], "value": t["value"]} for t in call.store.all("tax_id") if t.get("customer") == customer["id"]]
    call.update(invoice, {
        "status": "open", "number": f"{customer['invoice_prefix']}-{sequence:04d}", "effective_at": now,
        "due_date": due if invoice["collection_method"] == "send_invoice" else None, "customer_tax_ids": tax_ids,
        "hosted_invoice_url": f"{call.base_url}/_sandbox/invoices/{invoice['id']}",
        "invoice_pdf": f"{call.base_url}/_sandbox/invoices/{invoice['id']}/pdf",
        "status_transitions": {**invoice.get("status_transitions", _TRANSITIONS), "finalized_at": now},
    })
    call.emit("invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        mark_paid(call, invoice)
    return invoice


_TRANSITIONS = {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None}


def mark_paid(call: Call, invoice: dict, intent: dict | None = None) -> dict:
    now = call.now()
    call.update(invoice, {"status": "paid", "amount_paid": invoice["amount_due"], "amount_remaining": 0,
                          "attempted": True, "status_transitions": {**invoice["status_transitions"], "paid_at": now}})
    if intent is not None:
        call.insert({"id": call.new_id("inpay_"), "object": "invoice_payment", "amount_paid": invoice["amount_due"],
                     "amount_requested": invoice["amount_due"], "created": now, "currency": invoice["currency"],
                     "invoice": invoice["id"], "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
                     "status": "paid", "status_transitions": {"canceled_at": None, "paid_at": now}})
    call.emit("invoice.paid", invoice)
    call.emit("invoice.payment_succeeded", invoice)
    return invoice


def payment_method_for(call: Call, invoice: dict, explicit: str | None) -> dict | None:
    customer = call.get("customer", invoice["customer"], param="customer")
    if explicit:
        return customer_pm(call, customer, explicit, "payment_method")
    subscription = call.store.get("subscription", invoice.get("subscription"))
    for pm_id in (invoice.get("default_payment_method"), subscription and subscription.get("default_payment_method")):
        pm = call.store.get("payment_method", pm_id)
        if pm is not None:
            return pm
    return default_payment_method(call, customer)


def pay(call: Call, invoice: dict, *, pm_id: str | None = None, out_of_band: bool = False) -> dict:
    """Collect an open invoice: out of band, or by charging a card (402 on decline)."""
    if invoice["status"] == "draft":
        finalize(call, invoice)
        if invoice["status"] == "paid":
            return invoice
    if invoice["status"] != "open":
        raise unexpected_state(f"Invoice is already {invoice['status']}.", None)
    if out_of_band or invoice["amount_due"] == 0:
        return mark_paid(call, invoice)
    pm = payment_method_for(call, invoice, pm_id)
    if pm is None:
        raise StripeApiError("This customer has no attached payment source or default payment method. Please "
                             "consider adding a default payment method.", code="resource_missing")
    intent = create_intent(call, amount=invoice["amount_due"], currency=invoice["currency"],
                           customer=invoice["customer"], pm_id=pm["id"], description=f"Invoice {invoice['number']}")
    call.update(invoice, {"attempt_count": invoice.get("attempt_count", 0) + 1, "attempted": True})
    try:
        confirm_intent(call, intent)
    except StripeApiError:
        call.emit("invoice.payment_failed", invoice)
        raise
    return mark_paid(call, invoice, intent)


def void(call: Call, invoice: dict) -> dict:
    if invoice["status"] != "open":
        raise unexpected_state(f"You can only void open invoices; invoice {invoice['id']} is {invoice['status']}.",
                               "invoice_not_editable" if invoice["status"] == "draft" else None)
    call.update(invoice, {"status": "void", "amount_remaining": 0,
                          "status_transitions": {**invoice["status_transitions"], "voided_at": call.now()}})
    call.emit("invoice.voided", invoice)
    return invoice

"""The sandbox's billing engine: charge invoices, payments, refunds with credit invoices, tax.

Rules kept from Recurly: a refund never exceeds paid - refunded on the charge invoice and returns
a credit invoice; automatic collection needs billing info; a declined card fails with a
`transaction` error; VAT is reverse-charged when the customer has a VAT number.
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from .store import ApiError, Store, parse_money, quantize, validation_error

VAT_RATES = {"AT": "0.20", "BE": "0.21", "DE": "0.19", "DK": "0.25", "ES": "0.21",
             "FI": "0.255", "FR": "0.20", "GB": "0.20", "IE": "0.23", "IT": "0.22",
             "NL": "0.21", "PL": "0.23", "PT": "0.23", "SE": "0.25"}
REVERSE_CHARGE_NOTE = "Reverse charge: VAT to be accounted for by the recipient."
ZERO = Decimal(0)


def charge_account(store: Store, account: dict, currency: str, lines: list[dict], *,
                   collection_method: str = "automatic", subscription: dict | None = None,
                   redemptions: tuple[dict, ...] = (), raise_on_decline: bool = True) -> dict:
    """Invoice `lines` to the account and, when automatic, collect the total from its card."""
    if collection_method == "automatic" and not account.get("billing_info"):
        raise validation_error("billing_info", "is required for automatic collection")
    items = [_line_item(store, currency, line, redemptions) for line in lines]
    invoice = store.add("invoices", _charge_invoice(store, account, currency, items,
                                                    collection_method, subscription))
    _apply_tax(account, invoice)
    for redemption in redemptions:
        redemption["discounted"] += sum((li["discount"] for li in items), ZERO)
    store.notify("charge_invoice", "created", invoice, account)
    if collection_method == "automatic" and invoice["total"] > 0:
        collect(store, invoice, raise_on_decline=raise_on_decline)
    elif collection_method == "automatic":
        _mark_paid(store, invoice, account)
    return invoice


def collect(store: Store, invoice: dict, *, raise_on_decline: bool = True) -> dict:
    """Charge the balance of a pending or past-due automatic invoice to the card on file."""
    if invoice["type"] != "charge" or invoice["state"] not in ("pending", "past_due"):
        raise validation_error("invoice", f"cannot be collected in state {invoice['state']}")
    account = store.objects["accounts"][invoice["account_id"]]
    if invoice["collection_method"] != "automatic" or not account.get("billing_info"):
        raise validation_error("invoice", "is not an automatic invoice with billing info")
    declined = account["billing_info"].get("_card_number") in store.declined_cards
    txn = _purchase(store, invoice, account, declined=declined)
    if declined:  # a failed purchase leaves a failed invoice; a failed retry stays past due
        first_try = invoice["state"] == "pending" and raise_on_decline
        invoice["state"] = "failed" if first_try else "past_due"
        store.touch(invoice)
        store.notify("charge_invoice", invoice["state"], invoice, account)
        if raise_on_decline:
            raise _declined_error(txn)
        return invoice
    invoice["paid"] += invoice["balance"]
    _mark_paid(store, invoice, account)
    return invoice


def void(store: Store, invoice: dict) -> dict:
    """Void an unpaid charge invoice; paid or credit invoices cannot be voided."""
    if invoice["type"] != "charge" or invoice["state"] not in ("pending", "past_due", "failed"):
        raise validation_error("invoice", f"cannot be voided in state {invoice['state']}")
    if invoice["paid"] > 0:
        raise validation_error("invoice", "has payments and cannot be voided; refund it instead")
    invoice.update(state="voided", balance=ZERO, closed_at=store.now())
    store.touch(invoice)
    store.notify("charge_invoice", "voided", invoice,
                 store.objects["accounts"][invoice["account_id"]])
    return invoice


def refund_invoice(store: Store, invoice: dict, body: dict) -> dict:
    """POST /invoices/{id}/refund: validate the InvoiceRefund body, return the credit invoice."""
    if invoice["type"] != "charge":
        raise validation_error("invoice", "must be a charge invoice to be refunded")
    kind = body.get("type")
    if kind == "amount":
        amount = _requested_amount(invoice, body.get("amount"))
        undo_lines = []
    elif kind == "line_items":
        amount, undo_lines = _line_items_amount(invoice, body.get("line_items"))
    else:
        raise validation_error("type", "must be one of amount, line_items")
    method = body.get("refund_method", "transaction_first")
    if method not in ("transaction_first", "credit_first", "all_credit", "all_transaction"):
        raise validation_error("refund_method", "is not a known refund method")
    credit = refund_amount(store, invoice, amount, notes=body.get("credit_customer_notes"),
                           to_credit=method == "all_credit")
    for line, quantity in undo_lines:
        line["refunded_quantity"] += quantity
    return credit


def refund_amount(store: Store, invoice: dict, amount: Decimal, *, notes: str | None = None,
                  to_credit: bool = False) -> dict:
    """Refund `amount` of a charge invoice: a credit invoice plus (usually) a refund transaction."""
    if amount <= 0:
        raise validation_error("amount", "must be greater than zero")
    if amount > invoice["refundable_amount"]:
        raise validation_error(
            "amount", f"cannot exceed the refundable amount of {invoice['refundable_amount']}")
    account = store.objects["accounts"][invoice["account_id"]]
    credit = store.add("invoices", _credit_invoice(store, invoice, amount, notes))
    if to_credit:
        credit.update(state="open", balance=-amount)
    else:
        original = _refundable_purchase(store, invoice)
        refund = _transaction(store, credit, account, "refund", amount, success=True)
        refund["original_transaction_id"] = original["id"]
        original["refunded"] = True
        store.touch(original)
        store.notify("payment", "refunded", refund, account)
    invoice["refundable_amount"] -= amount
    store.touch(invoice)
    store.notify("credit_invoice", "created", credit, account)
    return credit


# --- helpers ------------------------------------------------------------------------------------
def _line_item(store: Store, currency: str, line: dict, redemptions) -> dict:
    unit = parse_money(line["unit_amount"], currency, "unit_amount")
    quantity = int(line.get("quantity", 1))
    if quantity < 1:
        raise validation_error("quantity", "must be at least 1")
    subtotal = unit * quantity
    discount = min(subtotal, sum((_discount(store, r, subtotal, currency) for r in redemptions),
                                 ZERO))
    now = store.now()
    return {"id": store.new_id(), "uuid": uuid.uuid4().hex, "type": "charge",
            "state": "invoiced", "description": line.get("description"), "currency": currency,
            "unit_amount": unit, "quantity": quantity, "subtotal": subtotal,
            "discount": discount, "tax": ZERO, "amount": subtotal - discount, "refund": False,
            "refunded_quantity": 0, "subscription_id": line.get("subscription_id"),
            "plan_code": line.get("plan_code"), "start_date": line.get("start_date"),
            "end_date": line.get("end_date"), "created_at": now, "updated_at": now}


def _discount(store: Store, redemption: dict, subtotal: Decimal, currency: str) -> Decimal:
    discount = store.objects["coupons"][redemption["coupon_id"]]["discount"]
    if discount["type"] == "percent":
        return quantize(subtotal * Decimal(discount["percent"]) / 100, currency)
    fixed = {c["currency"]: c["amount"] for c in discount.get("currencies", [])}
    return fixed.get(currency, ZERO)


def _charge_invoice(store, account, currency, items, collection_method, subscription) -> dict:
    subtotal = sum((li["subtotal"] for li in items), ZERO)
    discount = sum((li["discount"] for li in items), ZERO)
    now = store.now()
    return {"type": "charge", "origin": "purchase", "state": "pending",
            "number": store.next_invoice_number(), "account_id": account["id"],
            "collection_method": collection_method, "net_terms": 0, "currency": currency,
            "line_items": items, "subtotal": subtotal, "discount": discount, "tax": ZERO,
            "total": subtotal - discount, "paid": ZERO, "balance": subtotal - discount,
            "refundable_amount": ZERO, "transaction_ids": [], "due_at": now,
            "subscription_ids": [subscription["id"]] if subscription else [],
            "vat_number": _vat_number(account), "customer_notes": None, "po_number": None}


def _apply_tax(account: dict, invoice: dict) -> None:
    """Add VAT for EU/UK customers, or record reverse charge when they gave a VAT number."""
    country = ((account.get("address") or {}).get("country") or "").upper()
    if country not in VAT_RATES:
        return
    rate = ZERO if _vat_number(account) else Decimal(VAT_RATES[country])
    for line in invoice["line_items"]:
        line["tax"] = quantize((line["subtotal"] - line["discount"]) * rate, invoice["currency"])
        line["amount"] += line["tax"]
    tax = sum((li["tax"] for li in invoice["line_items"]), ZERO)
    invoice.update(tax=tax, total=invoice["total"] + tax, balance=invoice["balance"] + tax)
    invoice["tax_info"] = {"type": "vat", "region": country, "rate": rate, "tax_details": [
        {"type": "vat", "region": country, "rate": rate, "tax": tax, "name": "VAT",
         "level": "country", "billable": True}]}
    if rate == 0:
        invoice["vat_reverse_charge_notes"] = REVERSE_CHARGE_NOTE


def _vat_number(account: dict) -> str | None:
    return account.get("vat_number") or (account.get("billing_info") or {}).get("vat_number")


def _mark_paid(store: Store, invoice: dict, account: dict) -> None:
    invoice.update(state="paid", balance=ZERO, refundable_amount=invoice["paid"],
                   closed_at=store.now())
    store.touch(invoice)
    store.notify("charge_invoice", "paid", invoice, account)


def _purchase(store: Store, invoice: dict, account: dict, *, declined: bool) -> dict:
    txn = _transaction(store, invoice, account, "purchase", invoice["balance"],
                       success=not declined)
    if declined:
        txn.update(status="declined", status_code="declined",
                   status_message="The transaction was declined.",
                   customer_message="Your card was declined.")
    store.notify("payment", "failed" if declined else "succeeded", txn, account)
    return txn


def _transaction(store, invoice, account, type_, amount, *, success: bool) -> dict:
    card = (account.get("billing_info") or {}).get("payment_method")
    txn = store.add("transactions", {
        "type": type_, "origin": "api", "account_id": account["id"], "invoice_id": invoice["id"],
        "currency": invoice["currency"], "amount": amount, "success": success,
        "status": "success" if success else "declined", "refunded": False,
        "original_transaction_id": None, "subscription_ids": list(invoice["subscription_ids"]),
        "collection_method": "automatic", "payment_method": card, "collected_at": store.now()})
    invoice["transaction_ids"].append(txn["id"])
    return txn


def _declined_error(txn: dict) -> ApiError:
    return ApiError(422, "transaction", "Your card was declined.", extra={"transaction_error": {
        "object": "transaction_error", "transaction_id": txn["id"], "category": "soft",
        "code": "declined", "message": "Your card was declined.",
        "merchant_advice": "The card was declined; ask the customer for another card."}})


def _requested_amount(invoice: dict, raw) -> Decimal:
    if raw is None:  # Recurly refunds the whole refundable amount when none is given
        return invoice["refundable_amount"]
    return parse_money(raw, invoice["currency"], "amount")


def _line_items_amount(invoice: dict, requested) -> tuple[Decimal, list]:
    if not isinstance(requested, list) or not requested:
        raise validation_error("line_items", "is required when type is line_items")
    by_id = {li["id"]: li for li in invoice["line_items"]}
    total, undo = ZERO, []
    for item in requested:
        line = by_id.get(item.get("id"))
        quantity = int(item.get("quantity", 1))
        if line is None:
            raise validation_error("line_items", f"{item.get('id')} is not on this invoice")
        if not 0 < quantity <= line["quantity"] - line["refunded_quantity"]:
            raise validation_error("line_items", f"quantity for {line['id']} exceeds refundable")
        total += quantize(line["amount"] * quantity / line["quantity"], invoice["currency"])
        undo.append((line, quantity))
    return total, undo


def _refundable_purchase(store: Store, invoice: dict) -> dict:
    for tid in invoice["transaction_ids"]:
        txn = store.objects["transactions"][tid]
        if txn["type"] == "purchase" and txn["success"]:
            return txn
    raise validation_error("invoice", "has no successful transaction to refund")


def _credit_invoice(store: Store, invoice: dict, amount: Decimal, notes: str | None) -> dict:
    currency = invoice["currency"]
    share = amount / invoice["total"] if invoice["total"] else ZERO
    tax = quantize(invoice["tax"] * share, currency)  # the refund carries its share of tax
    now = store.now()
    line = {"id": store.new_id(), "uuid": uuid.uuid4().hex, "type": "credit",
            "state": "invoiced", "description": f"Refund of invoice #{invoice['number']}",
            "currency": currency, "unit_amount": -(amount - tax), "quantity": 1,
            "subtotal": -(amount - tax), "discount": ZERO, "tax": -tax, "amount": -amount,
            "refund": True, "refunded_quantity": 0, "original_line_item_invoice_id": invoice["id"],
            "created_at": now, "updated_at": now}
    return {"type": "credit", "origin": "refund", "state": "closed",
            "number": store.next_invoice_number(), "account_id": invoice["account_id"],
            "collection_method": invoice["collection_method"], "net_terms": 0,
            "currency": currency, "line_items": [line], "subtotal": -(amount - tax),
            "discount": ZERO, "tax": -tax, "total": -amount, "paid": ZERO, "balance": ZERO,
            "refundable_amount": None, "transaction_ids": [], "closed_at": now,
            "previous_invoice_id": invoice["id"], "customer_notes": notes, "po_number": None,
            "subscription_ids": list(invoice["subscription_ids"]),
            "vat_number": invoice.get("vat_number"), "tax_info": invoice.get("tax_info")}

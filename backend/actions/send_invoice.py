"""Send an invoice: an existing draft/open one, or a new one made from line items for a customer."""
from __future__ import annotations

from marshmallow import Schema, fields, validate as v

from ..integrations.gateways.contract import Capability, Operation
from ..integrations.gateways.records import InvoiceLineRecord, InvoiceRecord
from ..money import MoneyError, normalize_currency
from .base import ActionContext, conflict, first, invalid, load_params, money, require

KIND = "send_invoice"
TARGET_TYPES = ("invoice", "customer")
OPERATION = Operation.SEND_INVOICE
REASON_REQUIRED = False
LIMITED_BY_REFUND_LIMIT = False
SENDABLE = ("draft", "open")


class ExistingParams(Schema):
    pass


class Line(Schema):
    description = fields.String(required=True, validate=v.Length(1, 500))
    amount = fields.Integer(strict=True, required=True, validate=v.Range(min=1),
                            metadata={"description": "Line total in minor units"})
    quantity = fields.Integer(strict=True, load_default=1, validate=v.Range(1, 100_000))


class NewInvoiceParams(Schema):
    lines = fields.List(fields.Nested(Line), required=True, validate=v.Length(1, 100))
    currency = fields.String(metadata={"description": "Defaults to the customer's, else the account's"})
    days_until_due = fields.Integer(strict=True, load_default=30, validate=v.Range(1, 365))


def supported(target_type: str, capabilities) -> bool:
    needed = {Capability.SEND_INVOICE} | ({Capability.CREATE_INVOICE} if target_type == "customer" else set())
    return needed <= set(capabilities)


def available(target_type: str, row) -> bool:
    if target_type == "customer":
        return row.deleted_at is None
    return row.status in SENDABLE


def validate(target_type: str, row, params, ctx: ActionContext) -> dict:
    if target_type == "customer":
        return _validate_new(row, params, ctx)
    load_params(ExistingParams, params, KIND)
    if row.status not in SENDABLE:
        raise conflict(f"Only a draft or open invoice can be sent; this one is {row.status}.")
    require(ctx, [Capability.SEND_INVOICE], "send invoices")
    return {"currency": row.currency, "amount": row.amount_due_minor}


def _validate_new(customer, params, ctx: ActionContext) -> dict:
    values = load_params(NewInvoiceParams, params, KIND)
    if customer.deleted_at is not None:
        raise conflict("This customer was deleted at the gateway.")
    try:
        currency = normalize_currency(values.get("currency") or customer.currency or ctx.account_currency)
    except MoneyError as exc:
        raise invalid(str(exc), "currency") from None
    require(ctx, [Capability.CREATE_INVOICE, Capability.SEND_INVOICE], "create and send invoices")
    lines = [{"description": ln["description"], "amount": ln["amount"], "quantity": ln["quantity"]}
             for ln in values["lines"]]
    return {"lines": lines, "currency": currency, "days_until_due": values["days_until_due"],
            "amount": sum(ln["amount"] for ln in lines)}


def snapshot(target_type: str, row) -> dict:
    if target_type == "customer":
        return {"customer": row.external_id}
    return {"status": row.status, "number": row.number, "total": row.total_minor, "currency": row.currency}


def perform(adapter, run) -> list:
    """Create (keyed run.id, with the adapter's sub-keys) then send; a replay repeats neither."""
    invoice_id = run.target_external_id
    if run.target_type == "customer":
        lines = tuple(InvoiceLineRecord(description=ln["description"], amount=ln["amount"],
                                        quantity=ln["quantity"]) for ln in run.params["lines"])
        draft = adapter.create_invoice(customer_id=run.target_external_id, currency=run.params["currency"],
                                       lines=lines, days_until_due=run.params["days_until_due"],
                                       idempotency_key=run.id)
        invoice_id = draft.external_id
    return [adapter.send_invoice(invoice_id=invoice_id, idempotency_key=run.id)]


def describe(run, records) -> str:
    invoice = first(records, InvoiceRecord)
    if invoice is None:
        return "Sent an invoice"
    return f"Sent invoice {invoice.number or invoice.external_id} for {money(invoice.total, invoice.currency)}"

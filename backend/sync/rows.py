"""Record -> column values, one small function per kind (money already in minor units)."""
from __future__ import annotations

from functools import singledispatch
from types import MappingProxyType

from ..emails import normalize_email
from ..integrations.gateways.records import (
    ChargeRecord, CustomerRecord, DisputeRecord, InvoiceLineRecord, InvoiceRecord, RefundRecord,
    SubscriptionRecord, TaxIdRecord, TaxLineRecord,
)
from ..models import utcnow

# `refs` when the writer resolves customer_id/charge_id itself (the PostgreSQL bulk path joins).
UNRESOLVED = MappingProxyType({"customer": MappingProxyType({}), "charge": MappingProxyType({})})


def _base(record, connection) -> dict:
    return {
        "account_id": connection.account_id, "connection_id": connection.id,
        "external_id": record.external_id, "gateway_created_at": record.created_at,
        "synced_at": utcnow(),
    }


@singledispatch
def row_for(record, connection, refs, action_run_id) -> dict:
    raise TypeError(f"no mirror row for {type(record).__name__}")


@row_for.register
def _(record: CustomerRecord, connection, refs, action_run_id):
    return _base(record, connection) | {
        "email": normalize_email(record.email), "name": record.name,
        "currency": record.currency.upper() if record.currency else None,
        "metadata": dict(record.metadata or {}), "raw_status": None, "deleted_at": None,
    }


@row_for.register
def _(record: ChargeRecord, connection, refs, action_run_id):
    return _base(record, connection) | {
        "customer_id": refs["customer"].get(record.customer_external_id),
        "customer_external_id": record.customer_external_id,
        "amount_minor": record.amount, "amount_captured_minor": record.amount_captured,
        "amount_refunded_minor": record.amount_refunded, "amount_capturable_minor": record.amount_capturable,
        "currency": record.currency.upper(), "status": str(record.status), "raw_status": record.raw_status,
        "card_brand": record.card_brand, "card_last4": record.card_last4,
        "description": record.description, "failure_message": record.failure_message,
        "invoice_external_id": record.invoice_external_id,
    }


@row_for.register
def _(record: RefundRecord, connection, refs, action_run_id):
    linked_run = action_run_id or (record.metadata or {}).get("chargedesk_key")
    return _base(record, connection) | {
        "charge_id": refs["charge"].get(record.charge_external_id),
        "charge_external_id": record.charge_external_id,
        "amount_minor": record.amount, "currency": record.currency.upper(),
        "status": str(record.status), "raw_status": record.raw_status, "reason": record.reason,
        "action_run_id": linked_run, "metadata": dict(record.metadata or {}),
    }


@row_for.register
def _(record: SubscriptionRecord, connection, refs, action_run_id):
    return _base(record, connection) | {
        "customer_id": refs["customer"].get(record.customer_external_id),
        "customer_external_id": record.customer_external_id,
        "status": str(record.status), "raw_status": record.raw_status, "plan_name": record.plan_name,
        "price_external_id": record.price_external_id, "amount_minor": record.amount,
        "currency": record.currency.upper() if record.currency else None, "interval": record.interval,
        "quantity": record.quantity, "current_period_end": record.current_period_end,
        "cancel_at_period_end": record.cancel_at_period_end, "canceled_at": record.canceled_at,
        "trial_end": record.trial_end, "discount_codes": list(record.discount_codes),
    }


@row_for.register
def _(record: InvoiceRecord, connection, refs, action_run_id):
    return _base(record, connection) | {
        "customer_id": refs["customer"].get(record.customer_external_id),
        "customer_external_id": record.customer_external_id, "number": record.number,
        "status": str(record.status), "raw_status": record.raw_status, "currency": record.currency.upper(),
        "subtotal_minor": record.subtotal, "tax_minor": record.tax, "total_minor": record.total,
        "amount_due_minor": record.amount_due, "amount_paid_minor": record.amount_paid,
        "due_at": record.due_at, "hosted_url": record.hosted_url,
        "subscription_external_id": record.subscription_external_id,
        "charge_external_id": record.charge_external_id,
    }


@row_for.register
def _(record: TaxIdRecord, connection, refs, action_run_id):
    return _base(record, connection) | {
        "customer_id": refs["customer"].get(record.customer_external_id),
        "customer_external_id": record.customer_external_id, "type": record.type, "value": record.value,
        "country": record.country, "verification_status": record.verification_status,
        "raw_status": record.verification_status, "deleted_at": None,
    }


@row_for.register
def _(record: DisputeRecord, connection, refs, action_run_id):
    return _base(record, connection) | {
        "charge_id": refs["charge"].get(record.charge_external_id),
        "charge_external_id": record.charge_external_id, "amount_minor": record.amount,
        "currency": record.currency.upper(), "status": str(record.status), "raw_status": record.raw_status,
        "reason": record.reason, "evidence_due_by": record.evidence_due_by,
    }


def invoice_line_row(account_id: int, invoice_id: int, position: int, line: InvoiceLineRecord) -> dict:
    return {"account_id": account_id, "invoice_id": invoice_id, "position": position,
            "external_id": line.external_id, "description": line.description,
            "amount_minor": line.amount, "quantity": line.quantity}


def tax_line_row(account_id: int, invoice_id: int, tax: TaxLineRecord) -> dict:
    return {"account_id": account_id, "invoice_id": invoice_id, "name": tax.name,
            "rate_percent": tax.rate_percent, "amount_minor": tax.amount,
            "jurisdiction": tax.jurisdiction, "reverse_charge": tax.reverse_charge}

"""Mirror rows -> plain dicts for the API and the sidebars (money as minor units + display)."""
from __future__ import annotations

from datetime import timezone
from typing import Any

from .models import Charge, Customer, Dispute, Invoice, Refund, Subscription, TaxId
from .money import format_money


def _iso(value) -> str | None:
    """ISO 8601 in UTC; SQLite (demo) hands back naive datetimes that were stored as UTC."""
    if not value:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


def _display(amount: int | None, currency: str | None, locale: str = "en_US") -> str | None:
    if amount is None or not currency:
        return None
    return format_money(amount, currency, locale)


def customer_summary(c: Customer) -> dict[str, Any]:
    return {"id": c.id, "connection_id": c.connection_id, "external_id": c.external_id, "email": c.email,
            "name": c.name, "currency": c.currency, "created_at": _iso(c.gateway_created_at),
            "deleted": c.deleted_at is not None}


def charge_view(ch: Charge) -> dict[str, Any]:
    refundable = max(ch.amount_captured_minor - ch.amount_refunded_minor, 0)
    return {"id": ch.id, "external_id": ch.external_id, "connection_id": ch.connection_id,
            "amount": ch.amount_minor, "amount_captured": ch.amount_captured_minor,
            "amount_refunded": ch.amount_refunded_minor, "amount_refundable": refundable,
            "amount_capturable": ch.amount_capturable_minor, "currency": ch.currency,
            "amount_display": _display(ch.amount_minor, ch.currency),
            "status": ch.status, "raw_status": ch.raw_status, "card_brand": ch.card_brand,
            "card_last4": ch.card_last4, "description": ch.description,
            "failure_message": ch.failure_message, "created_at": _iso(ch.gateway_created_at)}


def refund_view(r: Refund) -> dict[str, Any]:
    return {"id": r.id, "external_id": r.external_id, "charge_id": r.charge_id, "amount": r.amount_minor,
            "currency": r.currency, "amount_display": _display(r.amount_minor, r.currency),
            "status": r.status, "reason": r.reason, "created_at": _iso(r.gateway_created_at),
            "action_run_id": r.action_run_id, "external": r.action_run_id is None}


def subscription_view(s: Subscription) -> dict[str, Any]:
    return {"id": s.id, "external_id": s.external_id, "connection_id": s.connection_id, "status": s.status,
            "raw_status": s.raw_status, "plan_name": s.plan_name, "price_external_id": s.price_external_id,
            "amount": s.amount_minor, "currency": s.currency, "interval": s.interval, "quantity": s.quantity,
            "amount_display": _display(s.amount_minor, s.currency),
            "current_period_end": _iso(s.current_period_end), "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": _iso(s.canceled_at), "trial_end": _iso(s.trial_end),
            "discount_codes": list(s.discount_codes or [])}


def invoice_view(i: Invoice, lines=(), tax_lines=()) -> dict[str, Any]:
    return {"id": i.id, "external_id": i.external_id, "connection_id": i.connection_id, "number": i.number,
            "status": i.status, "currency": i.currency, "subtotal": i.subtotal_minor, "tax": i.tax_minor,
            "total": i.total_minor, "amount_due": i.amount_due_minor, "amount_paid": i.amount_paid_minor,
            "total_display": _display(i.total_minor, i.currency), "due_at": _iso(i.due_at),
            "created_at": _iso(i.gateway_created_at), "hosted_url": i.hosted_url,
            "lines": [{"description": ln.description, "amount": ln.amount_minor, "quantity": ln.quantity}
                      for ln in lines],
            "tax_lines": [{"name": t.name, "rate_percent": t.rate_percent, "amount": t.amount_minor,
                           "jurisdiction": t.jurisdiction, "reverse_charge": t.reverse_charge} for t in tax_lines]}


def tax_id_view(t: TaxId) -> dict[str, Any]:
    return {"id": t.id, "external_id": t.external_id, "type": t.type, "value": t.value, "country": t.country,
            "verification_status": t.verification_status}


def dispute_view(d: Dispute) -> dict[str, Any]:
    return {"id": d.id, "external_id": d.external_id, "charge_id": d.charge_id, "amount": d.amount_minor,
            "currency": d.currency, "status": d.status, "reason": d.reason,
            "evidence_due_by": _iso(d.evidence_due_by)}

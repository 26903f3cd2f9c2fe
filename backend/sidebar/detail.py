"""The selected customer's billing for the sidebar: charges with their refunds and disputes,
subscriptions, invoices, tax IDs, lifetime value, recent action runs, and what the agent may do.

Changes made outside the product are marked "external": refunds that no action of ours created,
cancellations that no successful cancel action explains.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from sqlalchemy import Row

from .. import presenters as p
from ..auth.principal import Principal
from ..money import MoneyError, exponent, format_money
from . import queries as q
from .allowed import action_checker

PAST_INVOICES_SHOWN = 10


def customer_detail(principal: Principal, row: Row, rows: dict[str, list]) -> tuple[dict[str, Any], list[dict]]:
    """(customer view, recent runs) from the rows of one customer (see queries.DETAIL)."""
    check, kind = action_checker(principal), row.gateway_kind
    totals = rows["totals"]
    ours = set(r.target_id for r in rows["canceled"])
    view = p.customer_summary(row) | {
        "gateway": gateway_view(row),
        "exponent": exponent(row.currency) if row.currency else None,
        "lifetime_value": [money(int(t.net or 0), t.currency) | {"charges": t.charges} for t in totals],
        "charge_count": sum(t.charges for t in totals),
        "charges": _charges(rows["charges"], _group(rows["refunds"], "charge_id"), _group(rows["disputes"], "charge_id"),
                            lambda ch: check(kind, "charge", ch)),
        "subscriptions": [subscription_view(s, check(kind, "subscription", s),
                                            external=bool(_cancellation(s)) and s.id not in ours)
                          for s in rows["subscriptions"]],
        "invoices": _invoices(rows["invoices"], lambda i: check(kind, "invoice", i)),
        "tax_ids": [p.tax_id_view(t) for t in rows["tax_ids"]],
        "disputes": [p.dispute_view(d) for d in rows["disputes"]],
        "actions": check(kind, "customer", row),
    }
    return view, [run_view(r) for r in rows["runs"]]


def gateway_view(row: Row) -> dict[str, Any]:
    return {"connection_id": row.connection_id, "kind": row.gateway_kind, "name": row.gateway_name}


def money(amount: int, currency: str) -> dict[str, Any]:
    """Money for machines and for people: minor units, currency, exponent, display string."""
    return {"amount": amount, "currency": currency, "exponent": exponent(currency),
            "display": format_money(amount, currency)}


def _group(rows: Iterable[Row], key: str) -> dict[int, list[Row]]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def _charges(charges, refunds, disputes, actions_of) -> list[dict[str, Any]]:
    return [charge_view(ch, refunds.get(ch.id, ()), disputes.get(ch.id, ()), actions_of(ch)) for ch in charges]


def charge_view(ch: Row, refunds, disputes, actions: list[str]) -> dict[str, Any]:
    """A charge with refunded/refundable amounts, its refunds (external ones marked) and disputes."""
    view = p.charge_view(ch)
    refund_views = [p.refund_view(r) for r in refunds]
    external = sum(r["amount"] for r in refund_views if r["external"] and r["status"] != "failed")
    return view | {
        "exponent": exponent(ch.currency),
        "refunded_display": _display_if(view["amount_refunded"], ch.currency),
        "refundable_display": _display_if(view["amount_refundable"], ch.currency),
        "refunds": refund_views, "external_refunded": external, "external": external > 0,
        "disputes": [p.dispute_view(d) for d in disputes], "actions": actions,
    }


def _display_if(amount: int, currency: str) -> str | None:
    return format_money(amount, currency) if amount else None


def _cancellation(s: Row) -> str | None:
    """What kind of cancellation a subscription shows, if any."""
    if s.status in ("canceled", "expired") or s.canceled_at is not None:
        return "canceled"
    return "cancel_at_period_end" if s.cancel_at_period_end else None


def subscription_view(s: Row, actions: list[str], *, external: bool) -> dict[str, Any]:
    view = p.subscription_view(s)
    return view | {"exponent": exponent(s.currency) if s.currency else None, "next_billing": view["current_period_end"],
                   "cancellation": _cancellation(s), "external": external, "actions": actions}


def _invoices(rows: list[Row], actions_of) -> dict[str, list[dict[str, Any]]]:
    """Open (unpaid) invoices, all of them we read; past ones, the latest few."""
    open_, past = [], []
    for inv in rows:
        view = p.invoice_view(inv) | {"actions": actions_of(inv), "exponent": exponent(inv.currency),
                                      "amount_due_display": _display_if(inv.amount_due_minor, inv.currency)}
        (open_ if inv.status in q.UNPAID_INVOICE_STATUSES else past).append(view)
    return {"open": open_, "past": past[:PAST_INVOICES_SHOWN]}


def run_view(r: Row) -> dict[str, Any]:
    """A recent action run: what, on which object, its state, and who asked."""
    params = r.params or {}
    amount, currency = params.get("amount"), params.get("currency")
    return {"id": r.id, "kind": r.kind, "status": r.status, "target_type": r.target_type,
            "target_id": r.target_id, "target_external_id": r.target_external_id,
            "amount": amount, "currency": currency,
            "amount_display": _run_amount_display(amount, currency),
            "reason_code": r.reason_code, "error_message": r.error_message,
            "requested_by": (r.principal or {}).get("name"),
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None}


def _run_amount_display(amount: Any, currency: Any) -> str | None:
    """Run params come from clients: show the amount only when it is well-formed money."""
    if type(amount) is not int or not isinstance(currency, str):
        return None
    try:
        return format_money(amount, currency)
    except MoneyError:
        return None

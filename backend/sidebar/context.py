"""Build the sidebar's one view model: who matches the requester, and the chosen customer's billing.

Plain dicts only, so every host can render it: HTML sidebars (Zendesk, Help Scout, Front) and
Canvas Kit JSON (Intercom) read the same shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from .. import presenters as p
from ..auth.principal import Principal
from ..money import exponent
from . import queries as q
from .allowed import reason_codes
from .batch import fetch
from .detail import customer_detail, gateway_view


class CustomerNotFound(LookupError):
    """The requested customer_id is not a customer of the caller's account."""


@dataclass(frozen=True)
class ContextQuery:
    emails: tuple[str, ...] = ()  # already normalized
    ticket: str | None = None
    customer_id: int | None = None


@dataclass
class Match:
    row: Row
    emails: set[str] = field(default_factory=set)
    linked: bool = False


def build_context(session: Session, principal: Principal, query: ContextQuery, *,
                  pipeline: bool = True) -> dict[str, Any]:
    """The whole sidebar view for the requester's emails (and the agent's pick, if any).

    Two round trips at most: who matches (with, for a known pick, all of its billing), then the
    selected customer's billing. (Reading the billing speculatively in the first one, for the
    customer the emails pick, cost PostgreSQL 2.5x the CPU: measured, not worth it.)
    """
    rows = fetch(session, _first_reads(principal.account_id, query), pipeline=pipeline)
    account = next(iter(rows["account"]), None)
    matches = _matches(rows.get("matches", ()))
    selected = _select(query.customer_id, matches, rows.get("customer"))
    view: dict[str, Any] = {
        "query": {"emails": list(query.emails), "ticket": query.ticket, "customer_id": query.customer_id},
        "agent": agent_view(principal),
        "account": account_view(account),
        "reason_codes": reason_codes(account.settings if account else None),
        "matches": [match_view(m.row, m) for m in matches.values()],
        "selected_id": selected.row.id if selected else None,
        "customer": None, "runs": [], "empty": None,
    }
    if selected is not None:
        detail = _detail_rows(rows, selected.row.id)
        if detail is None:
            detail = fetch(session, q.detail_params(principal.account_id, selected.row.id), pipeline=pipeline)
        view["customer"], view["runs"] = customer_detail(principal, selected.row, detail)
        view["customer"] |= _match_fields(selected)
    elif not matches:
        view["empty"] = empty_state(query.emails)
    return view


def _first_reads(account_id: int, query: ContextQuery) -> dict[str, dict]:
    """The account and the matches; with a known pick, that customer and its billing too."""
    wanted: dict[str, dict] = {"account": {"account_id": account_id}}
    if query.emails:
        wanted["matches"] = {"account_id": account_id, "emails": list(query.emails)}
    if query.customer_id is not None:
        wanted["customer"] = {"account_id": account_id, "customer_id": query.customer_id}
        wanted |= q.detail_params(account_id, query.customer_id)
    return wanted


def _detail_rows(rows: dict[str, list], customer_id: int) -> dict[str, list] | None:
    """The selected customer's billing rows if the first round trip already read them."""
    picked = rows.get("customer")
    return rows if picked and picked[0].id == customer_id else None


def _matches(rows) -> dict[int, Match]:
    """Customers matched by address or by a remembered link, one entry per customer."""
    grouped: dict[int, Match] = {}
    for row in rows:
        match = grouped.setdefault(row.id, Match(row))
        match.emails.add(row.matched_email)
        match.linked = match.linked or bool(row.linked)
    return grouped


def _select(customer_id: int | None, matches: dict[int, Match], picked_rows) -> Match | None:
    """The agent's pick; else the one linked customer; else the only match; else nobody (chooser)."""
    if customer_id is not None:
        if customer_id in matches:
            return matches[customer_id]
        if not picked_rows:
            raise CustomerNotFound(f"no customer {customer_id} in this account")
        return Match(picked_rows[0])
    linked = [m for m in matches.values() if m.linked]
    if len(linked) == 1:
        return linked[0]
    return next(iter(matches.values())) if len(matches) == 1 else None


def _match_fields(match: Match) -> dict[str, Any]:
    return {"matched_emails": sorted(match.emails), "linked": match.linked}


def match_view(row: Row, match: Match) -> dict[str, Any]:
    """A chooser entry: the customer, its gateway, and why it matched."""
    return p.customer_summary(row) | {"gateway": gateway_view(row)} | _match_fields(match)


def account_view(account: Row | None) -> dict[str, Any]:
    """The account's default currency: what new invoices are in when the customer has none."""
    currency = account.default_currency if account else "USD"
    return {"currency": currency, "exponent": exponent(currency)}


def agent_view(principal: Principal) -> dict[str, Any]:
    limit = principal.refund_limit_minor
    return {"name": principal.display_name, "role": principal.role, "can_act": principal.can_act,
            "refund_limit": limit}


def empty_state(emails: tuple[str, ...]) -> dict[str, Any]:
    searched = ", ".join(emails) if emails else "no email"
    return {"emails_searched": list(emails),
            "message": f"No billing customer found for {searched} in any connected gateway."}

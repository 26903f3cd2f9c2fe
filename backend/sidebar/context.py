"""Build the sidebar's one view model: who matches the requester, and the chosen customer's billing.

Plain dicts, so every host can render it: HTML sidebars (Zendesk, Help Scout, Front) and Canvas
Kit JSON (Intercom) read the same shape. Only callers that encode it straight to JSON ask for
pre-built parts as orjson fragments (`as_json`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from .. import presenters as p
from ..actions import allowance, limits
from ..auth.principal import Principal
from ..money import exponent
from . import queries as q
from . import views
from .allowed import reason_codes
from .batch import SessionReader
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
                  pipeline: bool = True, as_json: bool = False) -> dict[str, Any]:
    """The whole sidebar view for the requester's emails (and the agent's pick, if any), in the session."""
    reader = SessionReader(session, pipeline=pipeline)
    rows = reader.fetch(first_reads(principal.account_id, query, views.enabled(reader.dialect.name)))
    return assemble(reader, principal, query, rows, as_json=as_json)


def first_reads(account_id: int, query: ContextQuery, prebuilt: bool) -> dict[str, dict]:
    """The first round trip: the account and the matches with their pre-built billing; with a
    known pick, that customer too (and, when billing is read live, all of its billing)."""
    wanted: dict[str, dict] = {"account": {"account_id": account_id}}
    if len(query.emails) == 1:
        wanted["matches_one"] = {"account_id": account_id, "email": query.emails[0]}
    elif query.emails:
        wanted["matches"] = {"account_id": account_id, "emails": list(query.emails)}
    if query.customer_id is not None:
        wanted["customer"] = {"account_id": account_id, "customer_id": query.customer_id}
        if not prebuilt:
            wanted |= q.detail_params(account_id, query.customer_id)
    return wanted


def assemble(reader, principal: Principal, query: ContextQuery, rows: dict[str, list], *,
             as_json: bool = False) -> dict[str, Any]:
    """The view from the first round trip's rows; reads the selected customer's billing if it is
    not pre-built (one more round trip, and the body is kept for next time). With `as_json`
    (callers that encode it with orjson right away) pre-built parts may be orjson.Fragment."""
    account = next(iter(rows["account"]), None)
    matches = _matches(rows.get("matches") or rows.get("matches_one") or ())
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
    view["agent"]["refund_allowance"] = refund_allowance(reader, principal, account,
                                                        selected.row.id if selected else None)
    if selected is not None:
        if views.enabled(reader.dialect.name):
            view["customer"], view["runs"] = _prebuilt_billing(reader, principal, selected, rows, as_json)
        else:
            view["customer"], view["runs"] = _live_billing(reader, principal, selected, rows)
    elif not matches:
        view["empty"] = empty_state(query.emails)
    return view


def _detail(reader, account_id: int, customer_id: int, rows: dict[str, list]) -> dict[str, list]:
    """The selected customer's billing rows: from the first round trip if it read them, else now."""
    picked = rows.get("customer")
    if picked and picked[0].id == customer_id and all(name in rows for name in q.DETAIL):
        return rows
    return reader.fetch(q.detail_params(account_id, customer_id))


def _live_billing(reader, principal: Principal, match: Match, rows: dict[str, list]):
    row = match.row
    customer, runs = customer_detail(principal, row, _detail(reader, principal.account_id, row.id, rows))
    return customer | _match_fields(match), runs


def _prebuilt_billing(reader, principal: Principal, match: Match, rows: dict[str, list], as_json: bool):
    """The customer's pre-built billing; built from live reads, and kept, if there is none."""
    row = match.row
    body = views.current_body(row)
    if body is None:
        body = views.build(principal.account_id, row, _detail(reader, principal.account_id, row.id, rows))
        views.store(reader.raw, principal.account_id, row, body)
    return views.personalize(body, principal, row, _match_fields(match), as_json=as_json)


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


def refund_allowance(reader, principal: Principal, account: Row | None, customer_id: int | None) -> dict | None:
    """How much the agent may still refund without approval (None: no limit applies).

    `remaining` is per currency: the limit is in the account's currency, and a refund in any
    other currency always waits for approval. `charges` narrows it for the shown customer's
    charges that the agent already refunded (what they refunded of a charge counts against it too).
    Read only for an agent with a limit: one more statement for them, none for anyone else."""
    settings = account.settings if account else {}
    limit = limits.effective_limit(role=principal.role, personal_limit=principal.refund_limit_minor,
                                   account_settings=settings or {})
    if limit is None or not principal.can_act:
        return None
    currency = account.default_currency if account else "USD"
    rows = [] if principal.user_id is None else reader.fetch({"allowance": allowance.used_params(
        account_id=principal.account_id, user_id=principal.user_id, customer_id=customer_id)})["allowance"]
    mine = [r for r in rows if r.currency == currency]
    today = sum(int(r.today) for r in mine)

    def left(on_charge: int = 0) -> int:
        return limits.remaining(limit=limit, used=limits.Used(on_charge=on_charge, today=today))

    return {"limit": limit, "currency": currency, "exponent": exponent(currency), "remaining": {currency: left()},
            "charges": {str(r.charge_id): left(int(r.on_charge)) for r in mine if r.on_charge}}


def empty_state(emails: tuple[str, ...]) -> dict[str, Any]:
    searched = ", ".join(emails) if emails else "no email"
    return {"emails_searched": list(emails),
            "message": f"No billing customer found for {searched} in any connected gateway."}

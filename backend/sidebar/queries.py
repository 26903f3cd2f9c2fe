"""The sidebar's reads of the mirror: named statements with bound parameters, built once per dialect.

Every statement filters on account_id and starts from an index keyed by the account, the
requester email or the selected customer, so its cost follows what one customer has, never the
size of the tables. `backend.sidebar.batch` runs a set of them in one round trip on PostgreSQL.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from sqlalchemy import (
    BigInteger, Select, String, any_, bindparam, case, func, literal, or_, select, true, union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from ..models import (
    Account, ActionRun, Charge, Customer, CustomerEmail, CustomerLink, CustomerView, Dispute, GatewayConnection,
    Invoice, Refund, Subscription, TaxId,
)

MAX_MATCH_ROWS = 100
RECENT_CHARGES = 20
RECENT_INVOICES = 30
RECENT_SUBSCRIPTIONS = 20
RECENT_RUNS = 10
MAX_DISPUTES = 20
UNPAID_INVOICE_STATUSES = ("open", "draft", "uncollectible")
DETAIL = ("charges", "totals", "refunds", "disputes", "subscriptions", "invoices", "tax_ids", "runs", "canceled")
# What the sidebar shows of a customer (presenters.customer_summary): not metadata, whose JSON
# parsing was a few percent of a warm view's CPU.
_CUSTOMER_COLUMNS = (Customer.id, Customer.connection_id, Customer.external_id, Customer.email, Customer.name,
                     Customer.currency, Customer.gateway_created_at, Customer.deleted_at)
_GATEWAY_COLUMNS = (GatewayConnection.kind.label("gateway_kind"), GatewayConnection.name.label("gateway_name"))


def _account_id():
    return bindparam("account_id", type_=BigInteger)


def _customer_id():
    return bindparam("customer_id", type_=BigInteger)


def _any_email(column, dialect: str):
    """column IN (emails): one array parameter on PostgreSQL, so the statement compiles once.

    (No other IN lists here: expanding parameters would need compiling per request.)"""
    if dialect == "postgresql":
        return column == any_(bindparam("emails", type_=ARRAY(String)))
    return column.in_(bindparam("emails", expanding=True))


def account(_dialect: str) -> Select:
    """The few account fields the sidebar needs (reason codes live in settings)."""
    return select(Account.settings, Account.locale, Account.default_currency).where(Account.id == _account_id())


def _one_email(column, _dialect: str):
    """column = the one email: a plain parameter, so PostgreSQL can keep one generic plan for the
    statement (with an array it re-plans on every execution: 0.3 ms, four times the execution)."""
    return column == bindparam("email", type_=String)


def _hits(dialect: str, email_filter=_any_email):
    """(matched_email, cid, linked): customers with one of the emails, or linked to one by hand."""
    by_address = select(CustomerEmail.email.label("matched_email"), CustomerEmail.customer_id.label("cid"),
                        literal(False).label("linked")).where(
        CustomerEmail.account_id == _account_id(), email_filter(CustomerEmail.email, dialect))
    by_link = select(CustomerLink.email, CustomerLink.customer_id, literal(True)).where(
        CustomerLink.account_id == _account_id(), email_filter(CustomerLink.email, dialect))
    return union_all(by_address, by_link).subquery()


def views_enabled(dialect: str) -> bool:
    """Pre-built billing is used only where the triggers of migration 0003 keep it honest."""
    return dialect == "postgresql"


def _with_view(statement: Select, dialect: str) -> Select:
    """Add the customer's pre-built billing and its version (PostgreSQL; see backend.sidebar.views)."""
    if not views_enabled(dialect):
        return statement
    return (statement.add_columns(CustomerView.version.label("view_version"), CustomerView.body.label("view_body"))
            .outerjoin(CustomerView, CustomerView.customer_id == Customer.id))


def matches_one(dialect: str) -> Select:
    """`matches` for a single requester email (the usual case)."""
    return matches(dialect, _one_email)


def matches(dialect: str, email_filter=_any_email) -> Select:
    """One row per (email, customer, how): by address or by a remembered link, with the gateway."""
    hits = _hits(dialect, email_filter)
    statement = (select(hits.c.matched_email, hits.c.linked, *_CUSTOMER_COLUMNS, *_GATEWAY_COLUMNS)
                 .join(Customer, Customer.id == hits.c.cid)
                 .join(GatewayConnection, GatewayConnection.id == Customer.connection_id)
                 .where(Customer.account_id == _account_id())
                 .order_by(Customer.id).limit(MAX_MATCH_ROWS))
    return _with_view(statement, dialect)


def customer(dialect: str) -> Select:
    """One customer of this account with its gateway (nothing for another account's id)."""
    statement = (select(*_CUSTOMER_COLUMNS, *_GATEWAY_COLUMNS)
                 .join(GatewayConnection, GatewayConnection.id == Customer.connection_id)
                 .where(Customer.account_id == _account_id(), Customer.id == _customer_id()))
    return _with_view(statement, dialect)


def _recent_charges(ref, *columns) -> Select:
    return (select(*columns).where(Charge.account_id == _account_id(), Charge.customer_id == ref)
            .order_by(Charge.gateway_created_at.desc(), Charge.id.desc()).limit(RECENT_CHARGES))


def charges(_dialect: str) -> Select:
    return _recent_charges(_customer_id(), *Charge.__table__.c)


def totals(_dialect: str) -> Select:
    """Per currency: captured minus refunded, and how many charges."""
    ref = _customer_id()
    return (select(Charge.currency, func.sum(Charge.amount_captured_minor - Charge.amount_refunded_minor).label("net"),
                   func.count().label("charges"))
            .where(Charge.account_id == _account_id(), Charge.customer_id == ref)
            .group_by(Charge.currency).order_by(Charge.currency))


def refunds(_dialect: str) -> Select:
    """Refunds of the recent charges (the same charges as `charges`)."""
    recent = _recent_charges(_customer_id(), Charge.id).scalar_subquery()
    return (select(*Refund.__table__.c)
            .where(Refund.account_id == _account_id(), Refund.charge_id.in_(recent)).order_by(Refund.id))


def disputes(_dialect: str) -> Select:
    """Disputes on any charge of the customer, newest first."""
    ref = _customer_id()
    return (select(*Dispute.__table__.c).join(Charge, Charge.id == Dispute.charge_id)
            .where(Dispute.account_id == _account_id(), Charge.customer_id == ref)
            .order_by(Dispute.id.desc()).limit(MAX_DISPUTES))


def subscriptions(_dialect: str) -> Select:
    ref = _customer_id()
    return (select(*Subscription.__table__.c)
            .where(Subscription.account_id == _account_id(), Subscription.customer_id == ref)
            .order_by(Subscription.id.desc()).limit(RECENT_SUBSCRIPTIONS))


def invoices(_dialect: str) -> Select:
    """Unpaid invoices first (however old), then the most recent others."""
    ref = _customer_id()
    unpaid_first = case((or_(*(Invoice.status == s for s in UNPAID_INVOICE_STATUSES)), 0), else_=1)
    return (select(*Invoice.__table__.c)
            .where(Invoice.account_id == _account_id(), Invoice.customer_id == ref)
            .order_by(unpaid_first, Invoice.gateway_created_at.desc(), Invoice.id.desc()).limit(RECENT_INVOICES))


def tax_ids(_dialect: str) -> Select:
    ref = _customer_id()
    return (select(*TaxId.__table__.c)
            .where(TaxId.account_id == _account_id(), TaxId.customer_id == ref, TaxId.deleted_at.is_(None))
            .order_by(TaxId.id))


def runs(_dialect: str) -> Select:
    ref = _customer_id()
    return (select(ActionRun.id, ActionRun.kind, ActionRun.status, ActionRun.target_type, ActionRun.target_id,
                   ActionRun.target_external_id, ActionRun.params, ActionRun.reason_code, ActionRun.error_message,
                   ActionRun.created_at, ActionRun.finished_at, ActionRun.principal)
            .where(ActionRun.account_id == _account_id(), ActionRun.customer_id == ref)
            .order_by(ActionRun.created_at.desc()).limit(RECENT_RUNS))


def canceled(_dialect: str) -> Select:
    """Subscriptions of the customer that one of our cancel actions changed successfully."""
    ref = _customer_id()
    return (select(ActionRun.target_id)
            .where(ActionRun.account_id == _account_id(), ActionRun.customer_id == ref,
                   ActionRun.target_type == "subscription", ActionRun.status == "succeeded",
                   ActionRun.kind.like("cancel%")))


def agent(_dialect: str) -> Select:
    """The agent behind a sidebar token, checked in the sidebar's first round trip (backend.api.sidebar)."""
    from ..auth.sidebar_tokens import agent_statement

    return agent_statement()


def allowance(_dialect: str) -> Select:
    """What the agent already refunded, for the refund dialog's allowance (backend.actions.allowance)."""
    from ..actions.allowance import USED_BY_CURRENCY

    return USED_BY_CURRENCY


AGENT_PREFIX = "agent_"


def opening(dialect: str) -> Select:
    """The usual first read in ONE statement (PostgreSQL hot path): the agent behind the sidebar
    token (columns labelled agent_*), the account, and the customers matching one email with their
    pre-built billing. One row per match, or one row with empty match columns; no row at all when
    the agent does not check out (disabled, or installation gone)."""
    agent_row = agent(dialect).subquery("agent_row")
    account_row = account(dialect).subquery("account_row")
    found = matches_one(dialect).subquery("found")
    agent_columns = [column.label(AGENT_PREFIX + column.name) for column in agent_row.c]
    return (select(*agent_columns, account_row, found)
            .select_from(agent_row.join(account_row, true()).outerjoin(found, true()))
            .order_by(found.c.id))


BUILDERS: dict[str, Callable[..., Select]] = {
    "agent": agent, "opening": opening, "account": account, "matches": matches, "matches_one": matches_one, "customer": customer,
    "charges": charges, "totals": totals, "refunds": refunds, "disputes": disputes, "subscriptions": subscriptions, "invoices": invoices,
    "tax_ids": tax_ids, "runs": runs, "canceled": canceled, "allowance": allowance,
}


@lru_cache(maxsize=64)
def statement(name: str, dialect: str) -> Select:
    """The statement `name` for this dialect, built once per process."""
    return BUILDERS[name](dialect)


def detail_params(account_id: int, customer_id: int) -> dict[str, dict]:
    """Every read of one customer's billing, as {statement name: parameters}."""
    params = {"account_id": account_id, "customer_id": customer_id}
    return {name: params for name in DETAIL}

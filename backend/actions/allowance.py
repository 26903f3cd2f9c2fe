"""What a user has already refunded, for cumulative refund limits (the rule is in `limits`).

Counted: the user's refund runs that may still move or have moved money (pending approval,
queued, running, succeeded), never failed or rejected ones. Two sums: everything the user asked
to refund of one charge (any time), and everything in one currency in the last 24 hours. A
submission locks the requester's user row first, so two refunds by the same user are checked one
after the other (each sees the other's run); other users are not held up.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Integer, and_, bindparam, cast, func, or_, select
from sqlalchemy.orm import Session

from ..models import ActionRun, User, utcnow
from .limits import Used

WINDOW = timedelta(hours=24)
COUNTED_STATUSES = ("pending_approval", "queued", "running", "succeeded")
REFUND_KIND = "refund"


def _amount():
    """params.amount as a bigint (as_integer() would cast to a 32-bit integer)."""
    return cast(ActionRun.params["amount"].as_string(), BigInteger)


def _currency():
    return ActionRun.params["currency"].as_string()


def _counted(account_id, user_id):
    return and_(ActionRun.account_id == account_id, ActionRun.requested_by_user_id == user_id,
                ActionRun.kind == REFUND_KIND,
                or_(*(ActionRun.status == status for status in COUNTED_STATUSES)))  # no IN: see sidebar.queries


_LOCK_USER = select(User.id).where(User.id == bindparam("user_id")).with_for_update(key_share=True)


def _used_statement():
    since, charge = bindparam("since"), bindparam("charge_id", type_=Integer)
    on_charge = and_(ActionRun.target_type == "charge", ActionRun.target_id == charge)
    recent = ActionRun.created_at >= since
    return (select(func.coalesce(func.sum(_amount()).filter(on_charge), 0),
                   func.coalesce(func.sum(_amount()).filter(recent), 0))
            .where(_counted(bindparam("account_id"), bindparam("user_id")),
                   _currency() == bindparam("currency"), or_(on_charge, recent)))


_USED = _used_statement()  # built once


def lock_and_read_used(session: Session, *, account_id: int, user_id: int | None, charge_id: int,
                       currency: str, now: datetime | None = None) -> Used:
    """Lock the user's row (until the transaction ends), then sum what they already refunded.

    Two statements on purpose: under READ COMMITTED only a statement that starts after the lock
    was granted sees the run that the previous holder committed."""
    if user_id is None:  # nobody to attribute earlier refunds to: the request counts alone
        return Used()
    session.execute(_LOCK_USER, {"user_id": user_id})
    on_charge, today = session.execute(_USED, {
        "account_id": account_id, "user_id": user_id, "charge_id": charge_id, "currency": currency.upper(),
        "since": (now or utcnow()) - WINDOW}).one()
    return Used(on_charge=int(on_charge), today=int(today))


def _by_currency_statement():
    """Per (currency, charge): the user's counted refunds in the last 24 h, and of the customer's
    charges at any time (for the sidebar: one customer at a time). Grouped over a subquery: with
    server-side parameters PostgreSQL cannot match a JSON path in GROUP BY to the one selected."""
    recent = (ActionRun.created_at >= bindparam("since")).label("recent")
    customers = and_(ActionRun.customer_id == bindparam("customer_id", type_=Integer),
                     ActionRun.target_type == "charge").label("of_customer")
    runs = (select(_currency().label("currency"), ActionRun.target_id.label("charge_id"), _amount().label("amount"),
                   recent, customers)
            .where(_counted(bindparam("account_id"), bindparam("user_id")), or_(recent, customers))
            .subquery("counted"))
    return (select(runs.c.currency, runs.c.charge_id,
                   func.coalesce(func.sum(runs.c.amount).filter(runs.c.recent), 0).label("today"),
                   func.coalesce(func.sum(runs.c.amount).filter(runs.c.of_customer), 0).label("on_charge"))
            .group_by(runs.c.currency, runs.c.charge_id))


USED_BY_CURRENCY = _by_currency_statement()  # built once; read by the sidebar (backend.sidebar.queries)


def used_params(*, account_id: int, user_id: int, customer_id: int | None, now: datetime | None = None) -> dict:
    return {"account_id": account_id, "user_id": user_id, "customer_id": customer_id,
            "since": (now or utcnow()) - WINDOW}

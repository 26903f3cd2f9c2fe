"""What a user has already refunded, for cumulative refund limits (the rule is in `limits`).

Counted: the user's refund runs that may still move or have moved money (pending approval,
queued, running, succeeded), never failed or rejected ones. Two sums: everything the user asked
to refund of one charge (any time), and everything in one currency in the last 24 hours. A
submission locks the requester's user row first, so two refunds by the same user are checked one
after the other (each sees the other's run); other users are not held up.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import BigInteger, and_, bindparam, cast, false, func, or_, select, true, union_all
from sqlalchemy.orm import Session

from ..models import ActionRun, User, utcnow
from .limits import Used

WINDOW = timedelta(hours=24)
# updated_at is set a few microseconds before created_at on insert, and only grows after that.
CLOCK_SLACK = timedelta(minutes=1)
COUNTED_STATUSES = ("pending_approval", "queued", "running", "succeeded")
REFUND_KIND = "refund"


def _amount():
    """params.amount as a bigint (as_integer() would cast to a 32-bit integer)."""
    return cast(ActionRun.params["amount"].as_string(), BigInteger)


def _currency():
    return ActionRun.params["currency"].as_string()


def _counted():
    return and_(ActionRun.account_id == bindparam("account_id", type_=BigInteger),
                ActionRun.requested_by_user_id == bindparam("user_id", type_=BigInteger),
                ActionRun.kind == REFUND_KIND,
                or_(*(ActionRun.status == status for status in COUNTED_STATUSES)))  # no IN: see sidebar.queries


def _recent():
    """Created in the window. The redundant updated_at bound lets PostgreSQL find these rows
    through ix_action_runs_status (status, updated_at) instead of reading the account's runs."""
    return and_(ActionRun.created_at >= bindparam("since"), ActionRun.updated_at >= bindparam("since_updated"))


def _counted_runs(charges):
    """The user's counted refund runs in the window (recent) and of `charges` (on_charge), one
    indexed read each; a run in both appears twice, once per flag, so each sum counts it once."""
    columns = (_currency().label("currency"), ActionRun.target_id.label("charge_id"), _amount().label("amount"))
    recent = select(*columns, true().label("recent"), false().label("on_charge")).where(_counted(), _recent())
    of_charges = select(*columns, false(), true()).where(_counted(), ActionRun.target_type == "charge", charges)
    return union_all(recent, of_charges).subquery("counted")


def _sums(runs):
    return (func.coalesce(func.sum(runs.c.amount).filter(runs.c.recent), 0).label("today"),
            func.coalesce(func.sum(runs.c.amount).filter(runs.c.on_charge), 0).label("on_charge"))


def _used_statement(customer_known: bool):
    """(on_charge, today) for one charge and currency. Runs of a charge carry its customer, so
    they are found through ix_action_runs_customer."""
    by_customer = (ActionRun.customer_id == bindparam("customer_id", type_=BigInteger) if customer_known
                   else ActionRun.customer_id.is_(None))
    runs = _counted_runs(and_(by_customer, ActionRun.target_id == bindparam("charge_id", type_=BigInteger)))
    today, on_charge = _sums(runs)
    return select(on_charge, today).where(runs.c.currency == bindparam("currency"))


_LOCK_USER = select(User.id).where(User.id == bindparam("user_id")).with_for_update(key_share=True)
_USED = {True: _used_statement(True), False: _used_statement(False)}  # built once


def lock_and_read_used(session: Session, *, account_id: int, user_id: int | None, charge_id: int,
                       customer_id: int | None, currency: str, now: datetime | None = None) -> Used:
    """Lock the user's row (until the transaction ends), then sum what they already refunded.

    Two statements on purpose: under READ COMMITTED only a statement that starts after the lock
    was granted sees the run that the previous holder committed."""
    if user_id is None:  # nobody to attribute earlier refunds to: the request counts alone
        return Used()
    session.execute(_LOCK_USER, {"user_id": user_id})
    params = used_params(account_id=account_id, user_id=user_id, customer_id=customer_id, now=now)
    on_charge, today = session.execute(_USED[customer_id is not None],
                                       params | {"charge_id": charge_id, "currency": currency.upper()}).one()
    return Used(on_charge=int(on_charge), today=int(today))


def _by_currency_statement():
    """Per (currency, charge): the user's counted refunds in the last 24 h, and of one customer's
    charges at any time (for the sidebar, which shows one customer at a time)."""
    runs = _counted_runs(ActionRun.customer_id == bindparam("customer_id", type_=BigInteger))
    return select(runs.c.currency, runs.c.charge_id, *_sums(runs)).group_by(runs.c.currency, runs.c.charge_id)


USED_BY_CURRENCY = _by_currency_statement()  # built once; read by the sidebar (backend.sidebar.queries)


def used_params(*, account_id: int, user_id: int, customer_id: int | None, now: datetime | None = None) -> dict:
    since = (now or utcnow()) - WINDOW
    return {"account_id": account_id, "user_id": user_id, "customer_id": customer_id, "since": since,
            "since_updated": since - CLOCK_SLACK}

"""What an action points at: our mirrored row (as the customers API returns its id)."""
from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from ..models import Account, Charge, Customer, GatewayConnection, Invoice, Subscription, User
from .base import ActionRejected

TARGET_MODELS = {"charge": Charge, "subscription": Subscription, "customer": Customer, "invoice": Invoice}


def resolve_target_type(module, requested: str | None) -> str:
    """The requested target type if the action accepts it; by default the action's first one."""
    if requested is None:
        return module.TARGET_TYPES[0]
    if requested not in module.TARGET_TYPES:
        raise ActionRejected(422, f"A {module.KIND} applies to a {' or a '.join(module.TARGET_TYPES)}, "
                                  f"not a {requested}.", {"target_type": ["Not valid for this action."]})
    return requested


@functools.lru_cache(maxsize=None)
def _in_context_statement(model):
    """The row (scoped to the account), its gateway connection, the account and the requesting
    user (None for a principal without one): everything validation reads. Built once."""
    return (select(model, GatewayConnection, Account, User)
            .join(GatewayConnection, GatewayConnection.id == model.connection_id)
            .join(Account, Account.id == model.account_id)
            .outerjoin(User, and_(User.id == bindparam("user_id"), User.account_id == model.account_id))
            .where(model.account_id == bindparam("scope_account_id"), model.id == bindparam("row_id")))


def load_target(session: Session, account_id: int, target_type: str, target_id: int, *,
                user_id: int | None = None):
    """(row, its gateway connection, the account, the user or None) in one round trip; a 404
    phrased for a person if the row is not this account's."""
    found = session.execute(_in_context_statement(TARGET_MODELS[target_type]),
                            {"scope_account_id": account_id, "row_id": target_id, "user_id": user_id}).one_or_none()
    if found is None:
        raise ActionRejected(404, f"No {target_type} {target_id} in this account.")
    row, connection, account, user = found
    return row, connection, account, user


def customer_id_of(target_type: str, row) -> int | None:
    return row.id if target_type == "customer" else row.customer_id

"""Tenant scoping: every read of tenant data goes through a scope bound to one account."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

T = TypeVar("T")


class TenantScope:
    """Queries that can only ever see rows of `account_id`."""

    def __init__(self, session: Session, account_id: int):
        if account_id is None:
            raise ValueError("a tenant scope needs an account id")
        self.session = session
        self.account_id = account_id

    def select(self, model: type[T], *criteria) -> Select:
        return select(model).where(model.account_id == self.account_id, *criteria)

    def get(self, model: type[T], row_id) -> T | None:
        """The row with this id if it belongs to this account, else None."""
        return self.session.scalars(self.select(model, model.id == row_id)).one_or_none()

    def all(self, model: type[T], *criteria, order_by=None, limit: int | None = None) -> list[T]:
        stmt = self.select(model, *criteria)
        if order_by is not None:
            stmt = stmt.order_by(order_by)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.session.scalars(stmt))

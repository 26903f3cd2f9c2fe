"""Read models the database keeps honest: a customer's billing, pre-built for the sidebar.

`customer_views` holds one JSON body per customer. Writers never touch it directly: PostgreSQL
triggers on the mirrored tables bump `version` and clear `body` in the writer's own transaction,
so a body is either absent or exactly what a live read would build (see backend.sidebar.views).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, TenantMixin


class CustomerView(TenantMixin, Base):
    __tablename__ = "customer_views"
    __table_args__ = (
        Index("ix_customer_views_stale", "account_id", postgresql_where=text("body IS NULL"),
              sqlite_where=text("body IS NULL")),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"),
                                             primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    body: Mapped[str | None] = mapped_column(Text)
    built_at: Mapped[datetime | None]

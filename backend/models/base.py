"""Declarative base and column conventions shared by every table."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so that it remains an auto-incrementing rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        int: BigInteger(),  # money in minor units can exceed 2**31 (KRW, VND, IDR)
        datetime: DateTime(timezone=True),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
    }


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


class TenantMixin:
    """Every tenant-owned row carries account_id; queries go through backend.tenancy."""

    @declared_attr
    def account_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class MirrorMixin(TenantMixin):
    """An object mirrored from a gateway: unique per (connection_id, external_id)."""

    @declared_attr
    def connection_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("gateway_connections.id", ondelete="CASCADE"), nullable=False)

    external_id: Mapped[str] = mapped_column(nullable=False)
    raw_status: Mapped[str | None] = mapped_column(nullable=True)
    gateway_created_at: Mapped[datetime | None] = mapped_column(nullable=True)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

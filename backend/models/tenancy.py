"""Tenants and who acts for them: accounts, users, helpdesk identities, API keys, connections."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedJSON
from .base import Base, BigId, IdMixin, TenantMixin, TimestampMixin

ROLES = ("owner", "admin", "agent", "viewer")


class Account(IdMixin, TimestampMixin, Base):
    __tablename__ = "accounts"

    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    seller_legal_name: Mapped[str | None] = mapped_column(String(200))
    seller_address: Mapped[str | None]
    seller_tax_id: Mapped[str | None] = mapped_column(String(64))
    support_email: Mapped[str | None] = mapped_column(String(320))
    default_currency: Mapped[str] = mapped_column(String(3), default="USD", nullable=False)
    locale: Mapped[str] = mapped_column(String(16), default="en_US", nullable=False)
    branding: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)


class User(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("account_id", "email"),
        CheckConstraint("role IN ('owner','admin','agent','viewer')", name="role"),
        CheckConstraint("refund_limit_minor IS NULL OR refund_limit_minor >= 0", name="refund_limit"),
    )

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    # Largest refund this user may make without approval, in the account's default currency;
    # NULL means the role's default (owners and admins unlimited).
    refund_limit_minor: Mapped[int | None]
    disabled_at: Mapped[datetime | None]
    # Admin UI sessions carry the generation they were opened under; signing out bumps it, so
    # every session cookie issued before (a copied one too) stops working at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"), nullable=False)


class AgentIdentity(IdMixin, TenantMixin, TimestampMixin, Base):
    """A helpdesk user (Zendesk user id, Help Scout user id ...) mapped to one of our users."""

    __tablename__ = "agent_identities"
    __table_args__ = (UniqueConstraint("installation_id", "external_user_id"),)

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    installation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("helpdesk_installations.id", ondelete="CASCADE"), nullable=False)
    external_user_id: Mapped[str] = mapped_column(String(128), nullable=False)


class ApiKey(IdMixin, TenantMixin, TimestampMixin, Base):
    """An account API key: only a SHA-256 of the secret is stored; the prefix finds the row."""

    __tablename__ = "api_keys"

    name: Mapped[str | None] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class HelpdeskInstallation(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "helpdesk_installations"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)  # subdomain, workspace id ...
    credentials: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)  # OAuth tokens, app secrets
    token_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32), default="active", nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)


class GatewayConnection(IdMixin, TenantMixin, TimestampMixin, Base):
    __tablename__ = "gateway_connections"

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    credentials: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, nullable=False)
    webhook_secrets: Mapped[list[Any] | None] = mapped_column(EncryptedJSON)
    api_base: Mapped[str | None] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    sync_state: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)  # cursor per kind
    last_synced_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32), default="active", nullable=False)


Index("ix_gateway_connections_account", GatewayConnection.account_id)

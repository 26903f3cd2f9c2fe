"""The billing mirror: gateway objects copied locally so the sidebar reads fast and offline.

Money columns are integer minor units (`*_minor`) beside an ISO currency column.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, IdMixin, MirrorMixin, TenantMixin, TimestampMixin


def _mirror_unique(table: str) -> UniqueConstraint:
    return UniqueConstraint("connection_id", "external_id", name=f"uq_{table}_connection_external")


def _customer_fk() -> Mapped[int | None]:
    return mapped_column(BigId, ForeignKey("customers.id", ondelete="SET NULL"), nullable=True)


class Customer(IdMixin, MirrorMixin, Base):
    __tablename__ = "customers"
    __table_args__ = (_mirror_unique("customers"),)

    email: Mapped[str | None] = mapped_column(String(320))  # normalized (see backend.emails)
    name: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str | None] = mapped_column(String(3))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, nullable=False)
    deleted_at: Mapped[datetime | None]


class CustomerEmail(IdMixin, TenantMixin, Base):
    """Every address of a customer. (account_id, email, customer_id) answers the sidebar's
    "customers of account A with email E" from the index alone."""

    __tablename__ = "customer_emails"
    __table_args__ = (
        UniqueConstraint("account_id", "email", "customer_id", name="uq_customer_emails_lookup"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)


class CustomerLink(IdMixin, TenantMixin, TimestampMixin, Base):
    """A requester email an agent linked to a customer by hand; remembered for next time."""

    __tablename__ = "customer_links"
    __table_args__ = (UniqueConstraint("account_id", "email", "customer_id"),)

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    created_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))


class Charge(IdMixin, MirrorMixin, Base):
    __tablename__ = "charges"
    __table_args__ = (
        _mirror_unique("charges"),
        Index("ix_charges_customer_created", "customer_id", "gateway_created_at"),
    )

    customer_id: Mapped[int | None] = _customer_fk()
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(nullable=False)
    amount_captured_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    amount_refunded_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    amount_capturable_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    description: Mapped[str | None]
    failure_message: Mapped[str | None]
    invoice_external_id: Mapped[str | None] = mapped_column(String(255))


class Refund(IdMixin, MirrorMixin, Base):
    __tablename__ = "refunds"
    __table_args__ = (_mirror_unique("refunds"),)

    charge_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("charges.id", ondelete="SET NULL"), index=True)
    charge_external_id: Mapped[str | None] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    # Set when the refund came from one of our actions; NULL means it was made outside the product.
    action_run_id: Mapped[str | None] = mapped_column(String(36))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict, nullable=False)


class Subscription(IdMixin, MirrorMixin, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (_mirror_unique("subscriptions"),)

    customer_id: Mapped[int | None] = _customer_fk()
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    plan_name: Mapped[str | None] = mapped_column(String(200))
    price_external_id: Mapped[str | None] = mapped_column(String(255))
    amount_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    interval: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[int] = mapped_column(default=1, nullable=False)
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False, nullable=False)
    canceled_at: Mapped[datetime | None]
    trial_end: Mapped[datetime | None]
    discount_codes: Mapped[list[Any]] = mapped_column(default=list, nullable=False)


class Invoice(IdMixin, MirrorMixin, Base):
    __tablename__ = "invoices"
    __table_args__ = (_mirror_unique("invoices"),)

    customer_id: Mapped[int | None] = _customer_fk()
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    subtotal_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    tax_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    total_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    amount_due_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    amount_paid_minor: Mapped[int] = mapped_column(default=0, nullable=False)
    due_at: Mapped[datetime | None]
    hosted_url: Mapped[str | None]
    subscription_external_id: Mapped[str | None] = mapped_column(String(255))
    charge_external_id: Mapped[str | None] = mapped_column(String(255))


class InvoiceLine(IdMixin, TenantMixin, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None]
    amount_minor: Mapped[int] = mapped_column(nullable=False)
    quantity: Mapped[int] = mapped_column(default=1, nullable=False)


class InvoiceTaxLine(IdMixin, TenantMixin, Base):
    __tablename__ = "invoice_tax_lines"

    invoice_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    rate_percent: Mapped[str | None] = mapped_column(String(16))  # decimal string, exact
    amount_minor: Mapped[int] = mapped_column(nullable=False)
    jurisdiction: Mapped[str | None] = mapped_column(String(100))
    reverse_charge: Mapped[bool] = mapped_column(default=False, nullable=False)


class TaxId(IdMixin, MirrorMixin, Base):
    __tablename__ = "tax_ids"
    __table_args__ = (_mirror_unique("tax_ids"),)

    customer_id: Mapped[int | None] = _customer_fk()
    customer_external_id: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[str] = mapped_column(String(64), nullable=False)
    country: Mapped[str | None] = mapped_column(String(2))
    verification_status: Mapped[str | None] = mapped_column(String(32))
    deleted_at: Mapped[datetime | None]


class Dispute(IdMixin, MirrorMixin, Base):
    __tablename__ = "disputes"
    __table_args__ = (_mirror_unique("disputes"),)

    charge_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("charges.id", ondelete="SET NULL"), index=True)
    charge_external_id: Mapped[str | None] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(100))
    evidence_due_by: Mapped[datetime | None]


for _model in (Subscription, Invoice, TaxId):
    Index(f"ix_{_model.__tablename__}_customer", _model.customer_id)

# Orphans (objects seen before their customer or charge) are few; these partial indexes let the
# sync find them without scanning the table.
for _model in (Charge, Subscription, Invoice, TaxId):
    Index(f"ix_{_model.__tablename__}_orphans", _model.connection_id, _model.customer_external_id,
          postgresql_where=_model.customer_id.is_(None), sqlite_where=_model.customer_id.is_(None))
for _model in (Refund, Dispute):
    Index(f"ix_{_model.__tablename__}_orphans", _model.connection_id, _model.charge_external_id,
          postgresql_where=_model.charge_id.is_(None), sqlite_where=_model.charge_id.is_(None))

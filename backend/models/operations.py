"""What the product does and records: action runs, the audit chain, webhooks, documents."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, IdMixin, TenantMixin, TimestampMixin, utcnow

RUN_STATUSES = ("pending_approval", "queued", "running", "succeeded", "failed", "rejected")


class ActionRun(TenantMixin, TimestampMixin, Base):
    """One requested action. Its id is the gateway idempotency key and the RQ job id."""

    __tablename__ = "action_runs"
    __table_args__ = (
        UniqueConstraint("account_id", "client_key", name="uq_action_runs_client_key"),
        Index("ix_action_runs_customer", "customer_id", "created_at"),
        Index("ix_action_runs_status", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_key: Mapped[str] = mapped_column(String(200), nullable=False)  # the client's idempotency key
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    connection_id: Mapped[int] = mapped_column(BigId, ForeignKey("gateway_connections.id"), nullable=False)
    target_type: Mapped[str] = mapped_column(String(24), nullable=False)
    target_id: Mapped[int] = mapped_column(BigId, nullable=False)
    target_external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id", ondelete="SET NULL"))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_text: Mapped[str | None]
    requested_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    principal: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)  # who, as seen then
    source: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)  # host, ticket, ip
    result: Mapped[dict[str, Any] | None]
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
    finished_at: Mapped[datetime | None]


class AuditEntry(IdMixin, TenantMixin, Base):
    """Append-only. `entry_hash` covers the entry and the previous entry's hash (per account)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "seq", name="uq_audit_entries_account_seq"),
        Index("ix_audit_entries_account_created", "account_id", "created_at"),
    )

    seq: Mapped[int] = mapped_column(BigId, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    event: Mapped[str] = mapped_column(String(64), nullable=False)  # action.requested, settings.changed ...
    actor_user_id: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(BigId)
    reason: Mapped[str | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    source: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class InboundWebhook(IdMixin, TenantMixin, Base):
    __tablename__ = "inbound_webhooks"
    __table_args__ = (UniqueConstraint("connection_id", "event_id", name="uq_inbound_webhooks_event"),)

    connection_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("gateway_connections.id", ondelete="CASCADE"), nullable=False)
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str | None] = mapped_column(String(100))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="received", nullable=False)
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    error: Mapped[str | None]


class Document(IdMixin, TenantMixin, TimestampMixin, Base):
    """A receipt, invoice or credit note we issued; `number` is gapless per (account, kind).

    `source` names the money event ("<connection id>:<gateway external id>" of the charge or
    refund): one document per (account, kind, source), whoever races to issue it.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "number", name="uq_documents_number"),
        UniqueConstraint("account_id", "kind", "source", name="uq_documents_source"),
        Index("ix_documents_account_customer", "account_id", "customer_id"),
        Index("ix_documents_account_charge", "account_id", "charge_id"),
    )

    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # receipt | invoice | credit_note
    number: Mapped[int] = mapped_column(nullable=False)
    display_number: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id", ondelete="SET NULL"))
    charge_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("charges.id", ondelete="SET NULL"))
    invoice_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("invoices.id", ondelete="SET NULL"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    total_minor: Mapped[int] = mapped_column(nullable=False)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sent_to: Mapped[str | None] = mapped_column(String(320))
    sent_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    refund_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("refunds.id", ondelete="SET NULL"))
    reverses_document_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("documents.id", ondelete="SET NULL"))  # a credit note's receipt
    locale: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(default=dict, nullable=False)  # what the PDF shows, frozen
    storage_key: Mapped[str | None] = mapped_column(String(300))  # set once the PDF is stored
    rendered_at: Mapped[datetime | None]
    auto_send: Mapped[bool] = mapped_column(default=True, nullable=False)  # False: backfilled, never emailed
    send_status: Mapped[str] = mapped_column(String(16), default="unsent", nullable=False)
    send_attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    send_error: Mapped[str | None]


class DocumentCounter(TenantMixin, Base):
    """Next number per (account, kind); incremented under a row lock in the same transaction."""

    __tablename__ = "document_counters"

    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_number: Mapped[int] = mapped_column(default=1, nullable=False)

"""documents: one per money event (source), frozen content, storage key, sending state

Revision ID: 0005
Revises: 0004

Nothing wrote the documents table before this revision, so its new NOT NULL columns need no
backfill.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("source", sa.String(length=300), nullable=False))
        batch.add_column(sa.Column("refund_id", BigId, nullable=True))
        batch.add_column(sa.Column("reverses_document_id", BigId, nullable=True))
        batch.add_column(sa.Column("locale", sa.String(length=16), nullable=False))
        batch.add_column(sa.Column("content", Json, nullable=False))
        batch.add_column(sa.Column("storage_key", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("auto_send", sa.Boolean(), nullable=False))
        batch.add_column(sa.Column("send_status", sa.String(length=16), nullable=False))
        batch.add_column(sa.Column("send_attempts", sa.BigInteger(), nullable=False))
        batch.add_column(sa.Column("send_error", sa.String(), nullable=True))
        batch.create_foreign_key("fk_documents_refund_id_refunds", "refunds", ["refund_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_foreign_key("fk_documents_reverses_document_id_documents", "documents",
                                 ["reverses_document_id"], ["id"], ondelete="SET NULL")
        batch.create_unique_constraint("uq_documents_source", ["account_id", "kind", "source"])
        batch.create_index("ix_documents_account_customer", ["account_id", "customer_id"])
        batch.create_index("ix_documents_account_charge", ["account_id", "charge_id"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_account_charge")
        batch.drop_index("ix_documents_account_customer")
        batch.drop_constraint("uq_documents_source", type_="unique")
        batch.drop_constraint("fk_documents_reverses_document_id_documents", type_="foreignkey")
        batch.drop_constraint("fk_documents_refund_id_refunds", type_="foreignkey")
        for column in ("send_error", "send_attempts", "send_status", "auto_send", "rendered_at", "storage_key",
                       "content", "locale", "reverses_document_id", "refund_id", "source"):
            batch.drop_column(column)

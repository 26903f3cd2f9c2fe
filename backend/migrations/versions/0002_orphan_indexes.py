"""partial indexes for objects that arrive before their customer or charge

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CUSTOMER_CHILDREN = ("charges", "subscriptions", "invoices", "tax_ids")
CHARGE_CHILDREN = ("refunds", "disputes")


def upgrade() -> None:
    for table in CUSTOMER_CHILDREN:
        where = sa.text("customer_id IS NULL")
        op.create_index(f"ix_{table}_orphans", table, ["connection_id", "customer_external_id"],
                        postgresql_where=where, sqlite_where=where)
    for table in CHARGE_CHILDREN:
        where = sa.text("charge_id IS NULL")
        op.create_index(f"ix_{table}_orphans", table, ["connection_id", "charge_external_id"],
                        postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for table in CUSTOMER_CHILDREN + CHARGE_CHILDREN:
        op.drop_index(f"ix_{table}_orphans", table_name=table)

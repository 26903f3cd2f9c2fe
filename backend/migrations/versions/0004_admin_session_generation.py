"""users.session_generation: signing out of the admin UI revokes its sessions server-side

Revision ID: 0004
Revises: 0003

Each admin session cookie carries the generation it was opened under; a request whose generation
is not the user's current one is signed out. Sign-out bumps it. Host key changes (who changed an
installation's verification key and when) live in helpdesk_installations.settings, no column.
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), server_default=sa.text("0"),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")

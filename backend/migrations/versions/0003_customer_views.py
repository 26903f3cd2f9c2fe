"""customer_views: pre-built sidebar billing per customer, kept honest by triggers

Revision ID: 0003
Revises: 0002

On PostgreSQL, statement-level triggers (with transition tables, so a bulk upsert costs one
extra statement, not one per row) mark the view of every customer a write touches as stale:
version + 1 and body NULL, inside the writer's transaction. A reader stores a body only if the
version it read with the data is still current (backend.sidebar.views), so a stale body can
never be served. SQLite (the demo) has no triggers and never uses the table.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# action_runs too: a customer's recent runs, and which cancellations were ours, are in the body.
BY_CUSTOMER = ("charges", "subscriptions", "invoices", "tax_ids", "action_runs")
BY_CHARGE = ("refunds", "disputes")

FUNCTIONS = """
CREATE FUNCTION chargedesk_touch_views(customer_ids bigint[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO customer_views (customer_id, account_id, version)
  SELECT c.id, c.account_id, 1 FROM customers c WHERE c.id = ANY(customer_ids) ORDER BY c.id
  ON CONFLICT (customer_id) DO UPDATE
    SET version = customer_views.version + 1, body = NULL, built_at = NULL
$$;

CREATE FUNCTION chargedesk_views_by_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM chargedesk_touch_views(ARRAY(SELECT DISTINCT customer_id FROM new_rows WHERE customer_id IS NOT NULL));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM chargedesk_touch_views(ARRAY(SELECT customer_id FROM new_rows WHERE customer_id IS NOT NULL
                                         UNION SELECT customer_id FROM old_rows WHERE customer_id IS NOT NULL));
  ELSE
    PERFORM chargedesk_touch_views(ARRAY(SELECT DISTINCT customer_id FROM old_rows WHERE customer_id IS NOT NULL));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION chargedesk_views_by_charge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM chargedesk_touch_views(ARRAY(SELECT DISTINCT ch.customer_id FROM charges ch
        WHERE ch.id IN (SELECT charge_id FROM new_rows) AND ch.customer_id IS NOT NULL));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM chargedesk_touch_views(ARRAY(SELECT DISTINCT ch.customer_id FROM charges ch
        WHERE ch.id IN (SELECT charge_id FROM new_rows UNION SELECT charge_id FROM old_rows)
          AND ch.customer_id IS NOT NULL));
  ELSE
    PERFORM chargedesk_touch_views(ARRAY(SELECT DISTINCT ch.customer_id FROM charges ch
        WHERE ch.id IN (SELECT charge_id FROM old_rows) AND ch.customer_id IS NOT NULL));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION chargedesk_views_of_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM chargedesk_touch_views(ARRAY(SELECT id FROM new_rows));
  RETURN NULL;
END $$;
"""


def _triggers() -> list[str]:
    statements = []
    for tables, function in ((BY_CUSTOMER, "chargedesk_views_by_customer"),
                             (BY_CHARGE, "chargedesk_views_by_charge")):
        for table in tables:
            statements += [
                f"CREATE TRIGGER {table}_views_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
                f"CREATE TRIGGER {table}_views_upd AFTER UPDATE ON {table} "
                f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
                f"CREATE TRIGGER {table}_views_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
    # A new customer has no view to invalidate; a deleted one takes its view along (cascade).
    statements.append("CREATE TRIGGER customers_views_upd AFTER UPDATE ON customers REFERENCING NEW TABLE AS new_rows "
                      "FOR EACH STATEMENT EXECUTE FUNCTION chargedesk_views_of_customer()")
    return statements


def upgrade() -> None:
    op.create_table(
        "customer_views",
        sa.Column("customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_customer_views_account_id_accounts",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_customer_views_customer_id_customers",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_views"),
    )
    where = sa.text("body IS NULL")
    op.create_index("ix_customer_views_stale", "customer_views", ["account_id"],
                    postgresql_where=where, sqlite_where=where)
    if op.get_bind().dialect.name == "postgresql":
        # Bodies are read whole on every sidebar view: store them out of line, uncompressed.
        op.execute("ALTER TABLE customer_views ALTER COLUMN body SET STORAGE EXTERNAL")
        op.execute(FUNCTIONS)
        for statement in _triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in BY_CUSTOMER + BY_CHARGE:
            for suffix in ("ins", "upd", "del"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_views_{suffix} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS customers_views_upd ON customers")
        for function in ("chargedesk_views_by_customer()", "chargedesk_views_by_charge()",
                         "chargedesk_views_of_customer()", "chargedesk_touch_views(bigint[])"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_index("ix_customer_views_stale", table_name="customer_views")
    op.drop_table("customer_views")

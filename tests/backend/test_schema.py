"""The models and the Alembic migrations describe the same schema, on PostgreSQL and SQLite."""
from sqlalchemy import create_engine, inspect

from backend import schema
from backend.models import Base


def test_migrated_postgres_matches_models(database_url):
    engine = create_engine(database_url)
    try:
        assert schema.current_revision(engine) is not None
        assert schema.schema_drift(engine) == []
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_migrated_sqlite_matches_models(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    schema.upgrade(engine)
    assert schema.schema_drift(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


def test_email_lookup_is_one_index(database_url):
    """customers of account A with email E: the unique index leads with (account_id, email)."""
    engine = create_engine(database_url)
    try:
        indexes = inspect(engine).get_unique_constraints("customer_emails")
        assert any(ix["column_names"][:2] == ["account_id", "email"] for ix in indexes)
    finally:
        engine.dispose()


def test_mirrored_objects_unique_per_connection(database_url):
    engine = create_engine(database_url)
    try:
        insp = inspect(engine)
        for table in ("customers", "charges", "refunds", "subscriptions", "invoices", "tax_ids", "disputes"):
            uniques = [u["column_names"] for u in insp.get_unique_constraints(table)]
            assert ["connection_id", "external_id"] in uniques, table
    finally:
        engine.dispose()

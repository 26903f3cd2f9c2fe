"""`chargedesk db ...`: create or upgrade the schema."""
from __future__ import annotations

import click

from .. import db, schema
from .common import app_from_env


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Create or upgrade the schema on the configured database."""
    app = app_from_env()
    with app.app_context():
        schema.upgrade(db.engine(), revision)
        click.echo(f"database at revision {schema.current_revision(db.engine())}")


@db_group.command("current")
def current() -> None:
    """Print the schema revision of the configured database."""
    with app_from_env().app_context():
        click.echo(schema.current_revision(db.engine()) or "empty")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)

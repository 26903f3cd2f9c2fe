"""`chargedesk keys ...`: make encryption keys and re-encrypt secrets after a rotation."""
from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from .. import crypto
from ..db import session, transaction
from ..models import GatewayConnection, HelpdeskInstallation
from .common import app_from_env


@click.group("keys")
def keys_group() -> None:
    """Encryption keys for secrets at rest."""


@keys_group.command("generate")
def generate() -> None:
    """Print a new key for CHARGEDESK_ENCRYPTION_KEY."""
    click.echo(crypto.generate_key())


@keys_group.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret with the first key of CHARGEDESK_ENCRYPTION_KEY."""
    count = 0
    with app_from_env().app_context(), transaction():
        for model, columns in ((GatewayConnection, ("credentials", "webhook_secrets")),
                               (HelpdeskInstallation, ("credentials",))):
            for row in session().scalars(select(model)):
                for column in columns:
                    if getattr(row, column) is not None:
                        flag_modified(row, column)  # written again, encrypted with the first key
                count += 1
    click.echo(f"re-encrypted secrets of {count} rows")


def register(cli: click.Group) -> None:
    cli.add_command(keys_group)

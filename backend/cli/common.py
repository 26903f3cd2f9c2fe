"""Helpers shared by commands: building the app, finding an account, printing new ids."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .. import create_app
from ..db import session
from ..models import Account


class CommandError(Exception):
    """A problem with what the user asked for; printed as one line."""


def app_from_env(**overrides) -> Flask:
    return create_app(overrides or None)


def find_account(ref: str) -> Account:
    """ACCOUNT is an id or a slug."""
    s = session()
    account = None
    if ref.isdigit():
        account = s.get(Account, int(ref))
    if account is None:
        account = s.scalars(select(Account).where(Account.slug == ref)).one_or_none()
    if account is None:
        raise CommandError(f"no account with id or slug {ref!r}")
    return account


def print_new_id(new_id) -> None:
    """Scripts capture the last line of stdout: it is the new id alone."""
    click.echo(str(new_id))

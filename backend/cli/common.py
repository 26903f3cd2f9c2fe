"""Helpers shared by commands: building the app, finding an account, printing new ids."""
from __future__ import annotations

import os

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .. import create_app
from ..db import session
from ..models import Account

SUPPORTED_DATABASES = ("postgresql", "postgres", "sqlite")


class CommandError(Exception):
    """A problem with what the user asked for; printed as one line."""


def app_from_env(**overrides) -> Flask:
    check_service_urls(os.environ)
    return create_app(overrides or None)


def check_service_urls(environ) -> None:
    """A malformed or unsupported CHARGEDESK_DATABASE_URL / CHARGEDESK_REDIS_URL is one clear line,
    before anything tries to connect (SQLAlchemy and redis-py would raise deep in their stacks)."""
    database_url = environ.get("CHARGEDESK_DATABASE_URL")
    if database_url:
        check_database_url(database_url)
    redis_url = environ.get("CHARGEDESK_REDIS_URL")
    if redis_url:
        check_redis_url(redis_url)


def check_database_url(url: str) -> None:
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise CommandError(f"CHARGEDESK_DATABASE_URL is malformed ({_first_line(exc)}); "
                           "expected postgresql://user:password@host:5432/name") from None
    if backend not in SUPPORTED_DATABASES:
        raise CommandError(f"CHARGEDESK_DATABASE_URL: unsupported database {backend!r}; "
                           "use postgresql://… (or sqlite:///PATH for a trial)")


def check_redis_url(url: str) -> None:
    from redis.connection import ConnectionPool

    try:
        ConnectionPool.from_url(url)
    except ValueError as exc:
        raise CommandError(f"CHARGEDESK_REDIS_URL is malformed ({_first_line(exc)}); "
                           "expected redis://host:6379/0") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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

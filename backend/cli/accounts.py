"""`chargedesk account|user|apikey ...`: tenants, people and API keys."""
from __future__ import annotations

import click
from sqlalchemy import select

from ..accounts import AccountInputError, add_user, create_account
from ..auth.api_keys import create_api_key, revoke_api_key
from ..db import session, transaction
from ..models import ROLES, ApiKey
from ..money import MoneyError, to_minor
from .common import CommandError, app_from_env, find_account, print_new_id


@click.group("account")
def account_group() -> None:
    """Accounts (tenants)."""


@account_group.command("create")
@click.argument("name")
@click.option("--slug", help="URL-safe short name; derived from NAME by default.")
@click.option("--currency", default="USD", show_default=True, help="Default currency, an ISO 4217 code (refund limits, reports).")
def account_create(name: str, slug: str | None, currency: str) -> None:
    """Create an account; prints its id last."""
    _check_iso_currency(currency)
    with app_from_env().app_context():
        try:
            with transaction() as s:
                account = create_account(s, name=name, slug=slug, currency=currency)
        except AccountInputError as exc:
            raise CommandError(str(exc)) from None
        click.echo(f"created account {account.slug}")
        print_new_id(account.id)


def _check_iso_currency(currency: str) -> None:
    """ISO 4217 codes only (Babel's list), so a typo such as 'USS' is not stored as a currency."""
    from babel.numbers import list_currencies

    if currency.strip().upper() not in list_currencies():
        raise CommandError(f"invalid currency {currency!r}: not an ISO 4217 code (e.g. USD, EUR, JPY)")


@click.group("user")
def user_group() -> None:
    """Admins and agents of an account."""


@user_group.command("add")
@click.argument("account")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name")
@click.option("--refund-limit", "refund_limit", metavar="AMOUNT",
              help="Largest refund without approval, in the account currency, e.g. 50.00")
def user_add(account: str, email: str, role: str, name: str | None, refund_limit: str | None) -> None:
    """Add a user to ACCOUNT (id or slug); prints the user id last."""
    with app_from_env().app_context():
        acct = find_account(account)
        limit = None
        if refund_limit is not None:
            try:
                limit = to_minor(refund_limit, acct.default_currency)
            except MoneyError as exc:
                raise CommandError(f"--refund-limit: {exc}") from None
        try:
            with transaction() as s:
                user = add_user(s, acct, email=email, role=role, name=name, refund_limit_minor=limit)
        except AccountInputError as exc:
            raise CommandError(str(exc)) from None
        click.echo(f"added {user.email} as {user.role} of {acct.slug}")
        print_new_id(user.id)


@click.group("apikey")
def apikey_group() -> None:
    """Account API keys (Authorization: Bearer KEY)."""


@apikey_group.command("create")
@click.argument("account")
@click.option("--name", help="A label to recognise the key by.")
def apikey_create(account: str, name: str | None) -> None:
    """Create a key for ACCOUNT; prints it once (last line). Only its hash is stored."""
    with app_from_env().app_context():
        acct = find_account(account)
        with transaction() as s:
            _row, plaintext = create_api_key(s, acct, name)
        click.echo(f"API key for {acct.slug} (shown once; store it now):")
        print_new_id(plaintext)


@apikey_group.command("revoke")
@click.argument("prefix")
def apikey_revoke(prefix: str) -> None:
    """Revoke the key whose prefix (the part after cdk_) is PREFIX."""
    with app_from_env().app_context():
        with transaction() as s:
            row = s.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
            if row is None:
                raise CommandError(f"no API key with prefix {prefix!r}")
            revoke_api_key(s, row)
        click.echo(f"revoked key {prefix}")


def register(cli: click.Group) -> None:
    for group in (account_group, user_group, apikey_group):
        cli.add_command(group)

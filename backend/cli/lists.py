"""`chargedesk account list`, `user list ACCOUNT`, `apikey list ACCOUNT`, `connection list ACCOUNT`.

Each prints one tab-separated row per item (no header, so `cut -f` works) or, with --json, a JSON
array of objects for scripts. Times are ISO 8601 in UTC with an offset. Secrets are never shown.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable

import click
from sqlalchemy import select

from ..db import session
from ..models import Account, ApiKey, GatewayConnection, User
from .accounts import account_group, apikey_group, user_group
from .common import app_from_env, find_account

json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON array of objects (for scripts).")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with an offset; naive values (SQLite) are UTC."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def print_rows(rows: Iterable[dict], *, as_json: bool, empty: str) -> None:
    """One tab-separated line per row (None as '-'), or a JSON array."""
    rows = list(rows)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo(empty)
    for row in rows if not as_json else ():
        click.echo("\t".join("-" if v is None else str(v) for v in row.values()))


@account_group.command("list")
@json_option
def account_list(as_json: bool) -> None:
    """Every account: id, slug, name, default currency, created."""
    with app_from_env().app_context():
        accounts = session().scalars(select(Account).order_by(Account.id)).all()
        print_rows(({"id": a.id, "slug": a.slug, "name": a.name, "currency": a.default_currency,
                     "created_at": iso(a.created_at)} for a in accounts), as_json=as_json, empty="no accounts")


@user_group.command("list")
@click.argument("account")
@json_option
def user_list(account: str, as_json: bool) -> None:
    """The users of ACCOUNT (id or slug): id, email, role, name, refund limit (minor units), status."""
    with app_from_env().app_context():
        acct = find_account(account)
        users = session().scalars(select(User).where(User.account_id == acct.id).order_by(User.id)).all()
        print_rows(({"id": u.id, "email": u.email, "role": u.role, "name": u.name,
                     "refund_limit_minor": u.refund_limit_minor,
                     "status": "disabled" if u.disabled_at else "active"} for u in users),
                   as_json=as_json, empty=f"no users in {acct.slug}")


@apikey_group.command("list")
@click.argument("account")
@json_option
def apikey_list(account: str, as_json: bool) -> None:
    """The API keys of ACCOUNT (id or slug): prefix, name, created, last used, status. Never the key."""
    with app_from_env().app_context():
        acct = find_account(account)
        keys = session().scalars(select(ApiKey).where(ApiKey.account_id == acct.id).order_by(ApiKey.id)).all()
        print_rows(({"prefix": k.prefix, "name": k.name, "created_at": iso(k.created_at),
                     "last_used_at": iso(k.last_used_at), "status": "revoked" if k.revoked_at else "active"}
                    for k in keys), as_json=as_json, empty=f"no API keys in {acct.slug}")


@click.group("connection")
def connection_group() -> None:
    """Gateway connections (make one with `chargedesk connect`)."""


@connection_group.command("list")
@click.argument("account")
@json_option
def connection_list(account: str, as_json: bool) -> None:
    """The gateway connections of ACCOUNT (id or slug): id, kind, name, status, last synced, API base."""
    with app_from_env().app_context():
        acct = find_account(account)
        connections = session().scalars(select(GatewayConnection).where(GatewayConnection.account_id == acct.id)
                                        .order_by(GatewayConnection.id)).all()
        print_rows(({"id": c.id, "kind": c.kind, "name": c.name, "status": c.status,
                     "last_synced_at": iso(c.last_synced_at), "api_base": c.api_base} for c in connections),
                   as_json=as_json, empty=f"no gateway connections in {acct.slug}")


def register(cli: click.Group) -> None:
    cli.add_command(connection_group)

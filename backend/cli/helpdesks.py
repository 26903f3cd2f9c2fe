"""`chargedesk helpdesk add KIND ACCOUNT [options]` and `chargedesk helpdesk list ACCOUNT`.

For self-hosters, scripts and installs without OAuth: register a helpdesk installation by hand.
The options of each kind come from its host's registry entry (HelpdeskHost.install_options), so
a new helpdesk gets its `add` command without editing this file. `add` prints the URLs to paste
into the helpdesk, one per line as `<what>: <url>`, and the new installation id alone last.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit import append
from ..db import session, transaction
from ..integrations.helpdesks import helpdesk_host, helpdesk_names
from ..integrations.helpdesks.host import HostSetupError, InstallOption, NewInstallation
from ..models import Account, HelpdeskInstallation
from .common import CommandError, app_from_env, find_account, print_new_id
from .lists import json_option, print_rows
from .secret_input import SecretOption

MAX_FILE_BYTES = 64 * 1024
CLI_ACTOR = {"kind": "cli", "name": "chargedesk helpdesk add"}


class AddGroup(click.Group):
    """One subcommand per registered helpdesk, built from its host's install options."""

    def list_commands(self, ctx):
        return list(helpdesk_names())

    def get_command(self, ctx, name):
        return _add_command(name) if name in helpdesk_names() else None

    def resolve_command(self, ctx, args):
        if args and not args[0].startswith("-") and args[0] not in helpdesk_names():
            raise click.UsageError(f"unknown helpdesk {args[0]!r}; choose one of: {', '.join(helpdesk_names())}",
                                   ctx)
        return super().resolve_command(ctx, args)


def _add_command(kind: str) -> click.Command:
    host = helpdesk_host(kind)
    params: list[click.Parameter] = [click.Argument(["account"])]
    secrets = [SecretOption(o.name, kind, o.help, required=o.required) for o in host.install_options if _secret(o)]
    for option in host.install_options:
        if not _secret(option):
            params.append(click.Option([f"--{option.name.replace('_', '-')}", option.name], required=option.required,
                                       metavar="PATH" if option.from_file else None, help=option.help))
    for secret in secrets:
        params += secret.params()

    def callback(account: str, **given: str | None) -> None:
        given.update({secret.name: secret.resolve(given) for secret in secrets})
        options = _read_options(host.install_options, given)
        with app_from_env().app_context():
            try:
                new = host.new_installation(options)
            except HostSetupError as exc:
                raise CommandError(str(exc)) from None
            installation = _store(find_account(account), kind, new)
            for what, url in host.paste_urls(base_url=current_app.config["SETTINGS"].base_url,
                                             installation=installation):
                click.echo(f"{what}: {url}")
            print_new_id(installation.id)

    return click.Command(kind, params=params, callback=callback,
                         help=f"Register a {host.label} installation of ACCOUNT (id or slug); prints the URLs "
                              "to paste into it, then the installation id last.")


def _secret(option: InstallOption) -> bool:
    """Secrets take the uniform --X / --X - / --X-file / CHARGEDESK_<KIND>_<X> input (secret_input)."""
    return not option.from_file and getattr(option, "secret", "secret" in option.name)


def _read_options(declared: tuple[InstallOption, ...], given: dict[str, str | None]) -> dict[str, str]:
    """The options that were given; a from_file option becomes the file's text."""
    options = {}
    for option in declared:
        value = given.get(option.name)
        if value is None:
            continue
        options[option.name] = _file_text(option, value) if option.from_file else value
    return options


def _file_text(option: InstallOption, path: str) -> str:
    flag = f"--{option.name.replace('_', '-')}"
    try:
        file = Path(path)
        if file.is_file() and file.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{flag} {path}: larger than {MAX_FILE_BYTES // 1024} KiB; is it the right file?")
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a UTF-8 text file"
        raise CommandError(f"cannot read {flag} {path}: {reason}") from None


def _store(account: Account, kind: str, new: NewInstallation) -> HelpdeskInstallation:
    """The installation (credentials encrypted at rest) and its audit entry, or nothing at all."""
    existing = _existing(kind, new.external_id)
    if existing is not None:
        raise CommandError(f"{kind} {new.external_id!r} is already installed (installation {existing.id} "
                           f"of account {existing.account_id})")
    try:
        with transaction() as s:
            installation = HelpdeskInstallation(account_id=account.id, kind=kind, external_id=new.external_id,
                                                credentials=dict(new.credentials) or None,
                                                settings=dict(new.settings), status="active")
            s.add(installation)
            s.flush()
            append(s, account_id=account.id, event="helpdesk.installed", actor=CLI_ACTOR,
                   subject_type="helpdesk_installation", subject_id=str(installation.id),
                   details={"kind": kind, "external_id": new.external_id, "settings": sorted(new.settings),
                            "credentials": sorted(new.credentials)}, source={"via": "cli"})
    except IntegrityError:  # installed concurrently
        raise CommandError(f"{kind} {new.external_id!r} is already installed") from None
    return installation


def _existing(kind: str, external_id: str) -> HelpdeskInstallation | None:
    return session().scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == kind, HelpdeskInstallation.external_id == external_id)).first()


@click.group("helpdesk")
def helpdesk_group() -> None:
    """Helpdesk installations (Zendesk ...): register one by hand, list them."""


@helpdesk_group.group("add", cls=AddGroup)
def add_group() -> None:
    """Register a helpdesk installation; prints the URLs to paste, then its id last."""


@helpdesk_group.command("list")
@click.argument("account")
@json_option
def list_installations(account: str, as_json: bool) -> None:
    """The helpdesk installations of ACCOUNT (id or slug): id, kind, external id, status, API access."""
    with app_from_env().app_context():
        acct = find_account(account)
        rows = session().scalars(select(HelpdeskInstallation).where(HelpdeskInstallation.account_id == acct.id)
                                 .order_by(HelpdeskInstallation.id)).all()
        print_rows(({"id": row.id, "kind": row.kind, "external_id": row.external_id, "status": row.status,
                     "api": "oauth" if row.kind in helpdesk_names() and helpdesk_host(row.kind).has_api_access(row)
                     else "no-api"} for row in rows),
                   as_json=as_json, empty=f"no helpdesk installations in {acct.slug}")


def register(cli: click.Group) -> None:
    cli.add_command(helpdesk_group)

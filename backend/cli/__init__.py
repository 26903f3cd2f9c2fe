"""The `chargedesk` command. Every error is one line on stderr and a non-zero exit."""
from __future__ import annotations

import sys

import click
from sqlalchemy.exc import OperationalError

from ..config import ConfigError
from .common import CommandError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """ChargeDesk: billing support between payment gateways and helpdesks."""


def _register() -> None:
    from . import accounts, database, keys, run

    for module in (run, database, accounts, keys):
        module.register(cli)
    for extra in _extra_command_modules():
        extra.register(cli)


def _extra_command_modules() -> list:
    """Feature modules that add commands (connect, sync, audit, apps)."""
    from importlib import import_module

    modules = []
    for name in ("backend.cli.gateways", "backend.cli.audit", "backend.cli.apps", "backend.cli.helpdesks",
                 "backend.cli.webhooks", "backend.cli.documents"):
        try:
            modules.append(import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"chargedesk: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    _register()
    try:
        rv = cli.main(args=argv, prog_name="chargedesk", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.exceptions.NoArgsIsHelpError as exc:
        names = ", ".join(sorted(getattr(exc.ctx.command, "commands", {}))) if exc.ctx else ""
        _fail(f"missing command; choose one of: {names} (see `{exc.ctx.command_path} --help`)", 2)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        _fail(exc.format_message().replace("\n", " ") + hint, 2)
    except click.ClickException as exc:
        _fail(exc.format_message().replace("\n", " "), exc.exit_code)
    except (CommandError, ConfigError) as exc:
        _fail(str(exc))
    except OperationalError as exc:
        _fail(f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}")
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(rv if isinstance(rv, int) else 0)

"""The `chargedesk` command. Every error is one line on stderr and a non-zero exit."""
from __future__ import annotations

import logging
import os
import sys
import zipfile

import click
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from ..config import ConfigError
from .common import CommandError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True,
              help="Show library INFO logs (Alembic's migration steps) and tracebacks of unexpected errors.")
def cli(verbose: bool) -> None:
    """ChargeDesk: billing support between payment gateways and helpdesks."""
    if verbose:
        os.environ["CHARGEDESK_CLI_VERBOSE"] = "1"
    logging.getLogger("alembic").setLevel(logging.INFO if verbose else logging.WARNING)


def _register() -> None:
    from . import accounts, database, keys, lists, run

    for module in (run, database, accounts, keys, lists):
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _database_problem(exc: DBAPIError) -> str:
    """A missing table means a database that was never migrated: say what to run."""
    reason = _first_line(exc.orig)
    if "no such table" in reason or (" does not exist" in reason and reason.startswith("relation ")):
        return f"the database has no ChargeDesk schema yet ({reason}); run `chargedesk db upgrade`"
    return f"cannot use the database: {reason}"


def _fail_unexpected(exc: Exception) -> None:
    from redis.exceptions import RedisError

    if isinstance(exc, RedisError):
        _fail(f"cannot use Redis at CHARGEDESK_REDIS_URL: {_first_line(exc)}")
    if os.environ.get("CHARGEDESK_CLI_VERBOSE"):
        raise exc
    _fail(f"unexpected {type(exc).__name__}: {_first_line(exc)} (run with --verbose for the traceback)")


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
    except (OperationalError, ProgrammingError) as exc:
        _fail(_database_problem(exc))
    except DBAPIError as exc:
        _fail(f"the database refused: {_first_line(exc.orig)}")
    except zipfile.BadZipFile as exc:
        _fail(f"not a zip file ({exc})")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last resort keeps the one-line promise
        _fail_unexpected(exc)
    sys.exit(rv if isinstance(rv, int) else 0)

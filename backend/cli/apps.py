"""`chargedesk apps package zendesk` and `chargedesk apps validate zendesk PATH`: the helpdesk app bundles."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

import click

from .common import CommandError

# host -> module with build_zip(out, backend_url=...) / PackageError, and its validator
PACKAGERS = {"zendesk": ("sidebar_apps.zendesk.package", "sidebar_apps.zendesk.validate")}


def _host(name: str) -> tuple:
    if name not in PACKAGERS:
        raise CommandError(f"no app package for {name!r}; choose one of: {', '.join(sorted(PACKAGERS))}")
    return tuple(import_module(m) for m in PACKAGERS[name])


@click.group("apps")
def apps_group() -> None:
    """Helpdesk app bundles (the part the helpdesk hosts)."""


@apps_group.command("package")
@click.argument("host", type=click.Choice(sorted(PACKAGERS)))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the zip (default: dist/chargedesk-<host>-app.zip).")
@click.option("--backend-url", default=None,
              help="Your ChargeDesk URL (https); pre-fills the app's sidebar URL setting.")
def package_command(host: str, out: Path | None, backend_url: str | None) -> None:
    """Build HOST's app zip (validated); prints its path on the last line."""
    packager, _validator = _host(host)
    target = out or Path("dist") / f"chargedesk-{host}-app.zip"
    try:
        path = packager.build_zip(target, backend_url=backend_url)
    except packager.PackageError as exc:
        raise CommandError(str(exc)) from None
    click.echo(f"built the {host} app package; upload it as a private app")
    click.echo(str(path.resolve()))


@apps_group.command("validate")
@click.argument("host", type=click.Choice(sorted(PACKAGERS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_command(host: str, path: Path) -> None:
    """Check a zip against HOST's packaging rules; exit 1 listing every problem."""
    _packager, validator = _host(host)
    errors = validator.validate_zip(path)
    if errors:
        raise CommandError(f"{path.name}: " + "; ".join(errors))
    click.echo(f"{path.name}: valid {host} app package")


def register(cli: click.Group) -> None:
    cli.add_command(apps_group)

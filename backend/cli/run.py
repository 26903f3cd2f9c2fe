"""`chargedesk serve|worker|demo`: run the product."""
from __future__ import annotations

import click

from .. import create_app, db, jobs
from .common import CommandError, app_from_env


def _migrated_app():
    """The app, refused in one line when its database has no schema yet (rather than a 500 per request)."""
    from .. import schema

    app = app_from_env()
    with app.app_context():
        if schema.current_revision(db.engine()) is None:
            raise CommandError("the database has no ChargeDesk schema yet; run `chargedesk db upgrade`")
    return app


def _check_bind(ctx, param, value: str) -> str:
    """HOST:PORT with a port 0-65535 (or gunicorn's unix:PATH / fd://N), refused before start-up."""
    if value.startswith(("unix:", "fd://")):
        return value
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, "8000"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(f"{value!r}: the port must be a number from 0 to 65535 (HOST:PORT)")
    if not host.strip("[]"):
        raise click.BadParameter(f"{value!r}: give a host, e.g. 127.0.0.1:{port} or 0.0.0.0:{port}")
    return value


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, callback=_check_bind,
              help="HOST:PORT to listen on (or unix:PATH).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--access-log/--no-access-log", default=False)
def serve(bind: str, workers: int, threads: int, access_log: bool) -> None:
    """Serve the app with gunicorn (production)."""
    from ..serving import AddressInUse, serve as run_gunicorn

    _migrated_app()  # validate configuration and schema here, so a bad setting is one line, not a worker crash
    try:
        run_gunicorn(create_app, bind=bind, workers=workers, threads=threads, access_log=access_log)
    except AddressInUse as exc:
        raise click.ClickException(str(exc)) from None


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--fork", is_flag=True, help="Fork a work horse per job (isolation over speed).")
@click.option("--name", help="Worker name (defaults to RQ's).")
def worker(burst: bool, fork: bool, name: str | None) -> None:
    """Run an RQ worker for the job queue (needs CHARGEDESK_REDIS_URL)."""
    app = _migrated_app()
    try:
        jobs.run_worker(app, burst=burst, simple=not fork, name=name)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--keep", is_flag=True, help="Keep the previous demo database instead of starting fresh.")
def demo(host: str, port: int, keep: bool) -> None:
    """Run the product on the embedded default (SQLite, in-process jobs, sandboxes), seeded."""
    from ..demo import run_demo

    run_demo(host=host, port=port, keep=keep)


def register(cli: click.Group) -> None:
    for command in (serve, worker, demo):
        cli.add_command(command)

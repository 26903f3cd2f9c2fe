"""`chargedesk webhooks sweep`: apply stored gateway deliveries that waited too long."""
from __future__ import annotations

import click

from .common import CommandError, app_from_env


@click.group("webhooks")
def webhooks_group() -> None:
    """Stored gateway webhooks."""


@webhooks_group.command("sweep")
@click.option("--older-than", "older_than", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Deliveries pending this long are presumed missed "
                   "[default: CHARGEDESK_WEBHOOK_STALE_SECONDS or 60].")
def webhooks_sweep(older_than: float | None) -> None:
    """Drain every connection with deliveries still pending after SECONDS (workers do this every minute)."""
    from ..sync.sweep import stale_after, sweep_stale_deliveries

    with app_from_env().app_context():
        outcomes = sweep_stale_deliveries(older_than=stale_after() if older_than is None else older_than)
        for outcome in outcomes:
            click.echo(outcome.line())
        click.echo(f"swept {len(outcomes)} connection(s)")
        failed = [o.connection_id for o in outcomes if not o.ok]
        if failed:
            raise CommandError(f"could not sweep connection(s) {', '.join(map(str, failed))}; see the log")


def register(cli: click.Group) -> None:
    cli.add_command(webhooks_group)

"""`chargedesk audit verify ACCOUNT` and `chargedesk actions reap`: the trail and stuck runs."""
from __future__ import annotations

import click

from ..db import session
from .common import CommandError, app_from_env, find_account


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.argument("account")
def audit_verify(account: str) -> None:
    """Recompute ACCOUNT's hash chain: `ok: N entries`, or the first broken link (exit 1)."""
    from ..audit import verify_chain

    with app_from_env().app_context():
        acct = find_account(account)
        report = verify_chain(session(), acct.id)
        if not report.ok:
            raise CommandError(f"audit trail of {acct.slug} is {report.line()} "
                               f"({report.entries} entries before it are intact)")
        click.echo(report.line())


@click.group("actions")
def actions_group() -> None:
    """One-click action runs."""


@actions_group.command("reap")
@click.option("--older-than", "older_than", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Runs running this long are presumed orphaned [default: CHARGEDESK_ACTION_STALE_SECONDS or 120].")
def actions_reap(older_than: float | None) -> None:
    """Reconcile runs left running by a dead worker with the gateway, then complete or re-queue them."""
    from ..actions.reaper import reap_stale_runs
    from ..actions.watchdog import stale_after_seconds

    with app_from_env().app_context():
        outcomes = reap_stale_runs(older_than=stale_after_seconds() if older_than is None else older_than)
        for outcome in outcomes:
            click.echo(outcome.line())
        click.echo(f"reaped {len(outcomes)} run(s)")


def register(cli: click.Group) -> None:
    for group in (audit_group, actions_group):
        cli.add_command(group)

"""`chargedesk connect <gateway> ...` and `chargedesk sync CONNECTION_ID`."""
from __future__ import annotations

import sys

import click
from flask import current_app

from .. import jobs
from ..connections import ConnectionError_, create_connection
from ..db import session, transaction
from ..integrations.gateways import adapter_class, gateway_names
from ..models import GatewayConnection
from .common import CommandError, app_from_env, find_account, print_new_id
from .secret_input import SecretOption


class ConnectGroup(click.Group):
    """One subcommand per registered gateway, built from its declared connect options."""

    def list_commands(self, ctx):
        return list(gateway_names())

    def get_command(self, ctx, name):
        if name not in gateway_names():
            return None
        return _connect_command(name)


def _connect_command(kind: str) -> click.Command:
    cls = adapter_class(kind)
    params: list[click.Parameter] = [click.Argument(["account"])]
    secrets = [SecretOption(o.name, kind, o.help, required=o.required) for o in cls.connect_options if o.secret]
    secrets.append(SecretOption("webhook_secret", kind, "Webhook signing secret; repeat during a rotation.",
                                required=cls.webhook_secret_required, multiple=True))
    for option in cls.connect_options:
        if not option.secret:
            params.append(click.Option([f"--{option.name.replace('_', '-')}", option.name],
                                       required=option.required, help=option.help))
    for secret in secrets:
        params += secret.params()
    params += [
        click.Option(["--api-base"], help="Base URL of the API (a sandbox on loopback, a region)."),
        click.Option(["--name"], help="A label for this connection."),
        click.Option(["--verify/--no-verify"], default=True, help="Check the credentials with one read call."),
    ]

    def callback(account, api_base, name, verify, **given):
        resolved = {secret.name: secret.resolve(given) for secret in secrets}
        webhook_secrets = resolved.pop("webhook_secret")
        credentials = {**given, **resolved}
        with app_from_env().app_context():
            acct = find_account(account)
            try:
                with transaction() as s:
                    conn = create_connection(s, acct, kind=kind, credentials=credentials,
                                             webhook_secrets=webhook_secrets, api_base=api_base,
                                             name=name, verify=verify)
                    if verify:
                        conn.settings = {**(conn.settings or {}), **_detected_settings(conn)}
            except ConnectionError_ as exc:
                raise CommandError(str(exc)) from None
            path = f"/webhooks/{kind}/{conn.id}"
            click.echo(f"connected {kind} to {acct.slug}; webhooks: POST {path}")
            click.echo(f"webhook URL to give {kind}: {current_app.config['SETTINGS'].base_url}{path}")
            _warn_about(conn, cls, webhook_secrets)
            print_new_id(conn.id)

    return click.Command(kind, params=params, callback=callback, help=f"Connect a {kind} account to ACCOUNT.")


def _warn_about(conn: GatewayConnection, cls, webhook_secrets: list[str]) -> None:
    """Warnings on stderr: webhooks that cannot be verified, the same gateway account twice."""
    if not webhook_secrets and not _webhooks_verified_by_credentials(cls):
        click.echo(f"warning: no webhook secret given: {conn.kind} webhook deliveries to this connection "
                   "cannot be verified and will be refused", err=True)
    for other in _same_gateway_account(conn):
        click.echo(f"warning: this {conn.kind} account is already connected (connection {other.id} of account "
                   f"{other.account_id}); both will mirror the same data", err=True)


def _webhooks_verified_by_credentials(cls) -> bool:
    """Whether deliveries are verified without a webhook secret: the adapter says so
    (`webhooks_signed_without_secret`), or one of its connect options is about webhooks (Braintree's
    private key "also verifies webhooks", PayPal's webhook id)."""
    declared = getattr(cls, "webhooks_signed_without_secret", None)
    if declared is not None:
        return bool(declared)
    return any("webhook" in f"{option.name} {option.help}".lower() for option in cls.connect_options)


def _same_gateway_account(conn: GatewayConnection) -> list[GatewayConnection]:
    """Other connections of the same kind and API base with the same credentials."""
    from sqlalchemy import select

    others = session().scalars(select(GatewayConnection).where(
        GatewayConnection.kind == conn.kind, GatewayConnection.id != conn.id)).all()
    return [o for o in others if o.api_base == conn.api_base and o.credentials == conn.credentials]


def _detected_settings(conn: GatewayConnection) -> dict:
    """What an adapter learns about the account at connect (its optional `detect_settings`, e.g.
    whether a shop runs an extension), stored with the connection; nothing is stored if it fails."""
    from ..gateways import adapter_for
    from ..integrations.gateways.errors import GatewayError

    detect = getattr(adapter_for(conn), "detect_settings", None)
    if detect is None:
        return {}
    try:
        return dict(detect())
    except GatewayError as exc:
        raise ConnectionError_(f"could not inspect the {conn.kind} account: {' '.join(exc.message.split())}") from None


@click.group("connect", cls=ConnectGroup)
def connect_group() -> None:
    """Connect a payment gateway account; prints the connection id last."""


@click.command("sync")
@click.argument("connection_id", type=int)
@click.option("--background", is_flag=True, help="Queue the sync as a job instead of running it here.")
def sync(connection_id: int, background: bool) -> None:
    """Backfill a connection's customers, charges, refunds, subscriptions, invoices, tax IDs, disputes."""
    from ..sync.backfill import sync_connection, sync_connection_now

    with app_from_env().app_context():
        if session().get(GatewayConnection, connection_id) is None:
            raise CommandError(f"no gateway connection {connection_id}")
        if background:
            if current_app.config["SETTINGS"].embedded_jobs:
                raise CommandError("background jobs need CHARGEDESK_REDIS_URL (and a `chargedesk worker`); "
                                   "run without --background to sync here")
            click.echo(f"queued job {jobs.enqueue(sync_connection, connection_id)}")
            return
        counts: dict[str, int] = {}

        def progress(kind, n):
            counts[kind] = counts.get(kind, 0) + n
            line = "  ".join(f"{k}: {v:,}" for k, v in counts.items())
            if sys.stdout.isatty():
                click.echo(f"\r{line}", nl=False)

        try:
            report = sync_connection_now(connection_id, progress=progress)
        except Exception as exc:
            from ..integrations.gateways.errors import GatewayError

            if isinstance(exc, GatewayError):
                message = " ".join(exc.message.split())  # one line, whatever the vendor sent
                raise CommandError(f"sync stopped ({message}); run it again to resume") from None
            raise
        if sys.stdout.isatty():
            click.echo()
        total = sum(report.counts.values())
        resumed = " (resumed)" if report.resumed else ""
        click.echo(f"synced {total:,} objects{resumed}: " + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))


def register(cli: click.Group) -> None:
    cli.add_command(connect_group)
    cli.add_command(sync)

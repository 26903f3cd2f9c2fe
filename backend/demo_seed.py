"""Demo data: an account with people and keys, gateway sandboxes holding billing history, and a
previewable installation in every registered helpdesk that has a demo."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from dataclasses import dataclass, field
from importlib import import_module
from typing import Callable

from flask import Flask
from sqlalchemy import delete, select

from .accounts import add_user, create_account
from .auth.api_keys import create_api_key
from .db import session, transaction
from .demo_data import DEMO_CUSTOMERS, DemoSandbox
from .documents.history import issue_history
from .integrations.gateways import gateway_names
from .integrations.helpdesks import helpdesk_host, helpdesk_names
from .models import Account, Base, GatewayConnection, HelpdeskInstallation, InboundWebhook
from .models.base import MirrorMixin
from .sync.backfill import sync_connection_now

log = logging.getLogger(__name__)
DEMO_SLUG = "demo"


@dataclass
class SeededDemo:
    account_slug: str
    api_key: str
    sample_email: str
    links: list = field(default_factory=list)
    stoppers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in self.stoppers:
            stop()


def seed_demo(app: Flask, *, keep: bool = False) -> SeededDemo:
    """A fresh demo, or with `keep` the previous one's account, people, audit log and action history
    again, connected to freshly started sandboxes and helpdesk emulators (they live in memory)."""
    account = _previous_account() if keep else None
    if account is None:
        account = _create_account()
    else:
        _forget_previous_run(account)
    with transaction() as s:
        _key_row, api_key = create_api_key(s, s.get(Account, account.id), "demo")
    seeded = SeededDemo(account_slug=account.slug, api_key=api_key, sample_email=DEMO_CUSTOMERS[0].email)
    base_url = app.config["SETTINGS"].base_url
    for sandbox in _start_sandboxes():
        seeded.stoppers.append(sandbox.stop)
        connection_id = _connect(account.id, sandbox)
        sandbox.register_webhook(f"{base_url}/webhooks/{sandbox.kind}/{connection_id}")
        sync_connection_now(connection_id)
    _issue_receipts(account.id)
    for kind in helpdesk_names():
        helpdesk = helpdesk_host(kind).start_demo(app, account)
        if helpdesk is not None:
            seeded.stoppers.append(helpdesk.stop)
            seeded.links.append((helpdesk.label, helpdesk.preview_path))
    return seeded


def _issue_receipts(account_id: int) -> None:
    """Receipts and credit notes for the seeded payments, so the demo has documents to show. The
    seeded payments are history, so they are issued unsent (nothing in the outbox) and their PDFs
    are rendered when first opened."""
    issue_history(account_id, since=datetime(1970, 1, 1, tzinfo=timezone.utc), render=False)


def _create_account() -> Account:
    with transaction() as s:
        account = create_account(s, name="Demo Company", slug=DEMO_SLUG)
        add_user(s, account, email="owner@demo.example", role="owner", name="Olivia Owner")
        add_user(s, account, email="agent@demo.example", role="agent", name="Alex Agent", refund_limit_minor=5000)
        add_user(s, account, email="viewer@demo.example", role="viewer", name="Val Viewer")
    return account


def _previous_account() -> Account | None:
    return session().scalars(select(Account).where(Account.slug == DEMO_SLUG)).one_or_none()


def _forget_previous_run(account: Account) -> None:
    """What only made sense with the last run's in-memory sandboxes and emulators: the mirrored
    gateway data and stored deliveries (ids that no longer exist) and the helpdesk installations.
    Connections stay (action runs point at them) and are re-pointed at the new sandboxes."""
    mirrored = [m.class_ for m in Base.registry.mappers if issubclass(m.class_, MirrorMixin)]
    order = {table: i for i, table in enumerate(Base.metadata.sorted_tables)}
    with transaction() as s:
        for model in sorted(mirrored, key=lambda m: order[m.__table__], reverse=True):
            s.execute(delete(model).where(model.account_id == account.id))
        s.execute(delete(InboundWebhook).where(InboundWebhook.account_id == account.id))
        s.execute(delete(HelpdeskInstallation).where(HelpdeskInstallation.account_id == account.id))


def _start_sandboxes() -> list[DemoSandbox]:
    """Every registered gateway whose package ships a demo seeder (its `demo` module)."""
    sandboxes = []
    for name in gateway_names():
        module_name = f"backend.integrations.gateways.{name}.demo"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise  # a real missing dependency, not a gateway without a demo
            log.info("gateway %s has no demo sandbox; skipped", name)
            continue
        sandboxes.append(module.start_demo_sandbox(DEMO_CUSTOMERS))
    return sandboxes


def _connect(account_id: int, sandbox: DemoSandbox) -> int:
    """The demo connection of this kind (the kept one, re-pointed, or a new one)."""
    with transaction() as s:
        conn = s.scalars(select(GatewayConnection).where(GatewayConnection.account_id == account_id,
                                                         GatewayConnection.kind == sandbox.kind)
                         .order_by(GatewayConnection.id)).first()
        if conn is None:
            conn = GatewayConnection(account_id=account_id, kind=sandbox.kind,
                                     name=f"Demo {sandbox.kind.capitalize()}", credentials={})
            s.add(conn)
        conn.credentials, conn.api_base = sandbox.credentials, sandbox.url
        conn.webhook_secrets = [sandbox.webhook_secret] if sandbox.webhook_secret else None
        conn.sync_state, conn.last_synced_at = {}, None
        s.flush()
        return conn.id

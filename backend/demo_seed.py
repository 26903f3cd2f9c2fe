"""Demo data: an account with people and keys, and gateway sandboxes holding billing history."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module
from typing import Callable

from flask import Flask

from .accounts import add_user, create_account
from .auth.api_keys import create_api_key
from .db import transaction
from .demo_data import DEMO_CUSTOMERS, DemoSandbox
from .demo_zendesk import start_demo_zendesk
from .integrations.gateways import gateway_names
from .models import GatewayConnection
from .sync.backfill import sync_connection_now

log = logging.getLogger(__name__)


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


def seed_demo(app: Flask) -> SeededDemo:
    with transaction() as s:
        account = create_account(s, name="Demo Company", slug="demo")
        add_user(s, account, email="owner@demo.example", role="owner", name="Olivia Owner")
        add_user(s, account, email="agent@demo.example", role="agent", name="Alex Agent", refund_limit_minor=5000)
        add_user(s, account, email="viewer@demo.example", role="viewer", name="Val Viewer")
        _key_row, api_key = create_api_key(s, account, "demo")
    seeded = SeededDemo(account_slug=account.slug, api_key=api_key, sample_email=DEMO_CUSTOMERS[0].email)
    base_url = app.config["SETTINGS"].base_url
    for sandbox in _start_sandboxes():
        seeded.stoppers.append(sandbox.stop)
        connection_id = _connect(account.id, sandbox)
        sandbox.register_webhook(f"{base_url}/webhooks/{sandbox.kind}/{connection_id}")
        sync_connection_now(connection_id)
    helpdesk = start_demo_zendesk(app, account)
    seeded.stoppers.append(helpdesk.stop)
    seeded.links.append(("Zendesk sidebar preview (click refunds, cancellations ...)", helpdesk.preview_path))
    return seeded


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
    with transaction() as s:
        conn = GatewayConnection(account_id=account_id, kind=sandbox.kind, name=f"Demo {sandbox.kind.capitalize()}",
                                 credentials=sandbox.credentials, api_base=sandbox.url,
                                 webhook_secrets=[sandbox.webhook_secret] if sandbox.webhook_secret else None)
        s.add(conn)
    return conn.id

"""Who receives a connection's webhooks: account, gateway kind and a verifier, cached briefly.

Building one costs a row read, two Fernet decryptions and an adapter; a delivery needs none of
that work done again. Entries live RECEIVER_TTL_SECONDS per process. Staleness is one-sided:

- a *rejection* (no such connection, wrong kind, bad signature) by a cached entry is always
  confirmed against a fresh read before we answer 4xx, so a new connection or a newly added
  webhook secret works at once;
- an *acceptance* can use state up to RECEIVER_TTL_SECONDS old: a secret removed from a
  connection is still accepted for at most that long by a process that cached it (the process
  that saved the change evicts at once, through the ORM events below). A connection deleted
  meanwhile makes the INSERT fail its foreign key; the caller then evicts and answers 404.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from flask import current_app, has_app_context
from sqlalchemy import event, select

from .. import db
from ..gateways import config_for
from ..integrations.gateways import build_adapter
from ..integrations.gateways.records import GatewayEvent
from ..models import GatewayConnection

RECEIVER_TTL_SECONDS = 5.0
_EXT = "chargedesk.webhook_receivers"

Verify = Callable[..., GatewayEvent]  # parse_webhook(headers=..., body=...): verifies, then parses


@dataclass(frozen=True)
class Receiver:
    account_id: int
    kind: str
    verify: Verify
    expires_at: float


def _cache() -> dict[int, Receiver]:
    return current_app.extensions.setdefault(_EXT, {})


def cached(connection_id: int) -> Receiver | None:
    """The cached receiver if it has not expired."""
    receiver = _cache().get(connection_id)
    if receiver is None or receiver.expires_at < time.monotonic():
        return None
    return receiver


def load(connection_id: int) -> Receiver | None:
    """A fresh receiver from the database (None if there is no such connection); cached."""
    table = GatewayConnection.__table__
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(select(table).where(table.c.id == connection_id)).one_or_none()
    if row is None:
        forget(connection_id)
        return None
    adapter = build_adapter(row.kind, config_for(row))
    receiver = Receiver(account_id=row.account_id, kind=row.kind, verify=adapter.parse_webhook,
                        expires_at=time.monotonic() + RECEIVER_TTL_SECONDS)
    _cache()[connection_id] = receiver
    return receiver


def forget(connection_id: int) -> None:
    if has_app_context():
        _cache().pop(connection_id, None)


def _evict(_mapper, _connection, target: GatewayConnection) -> None:
    if target.id is not None:
        forget(target.id)


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(GatewayConnection, _name, _evict)


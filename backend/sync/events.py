"""Turning stored webhooks into mirror changes, with the same upserts the backfill uses.

Deliveries are drained per connection, in arrival order, by one job at a time: once deliveries
are committed, the receiver only raises a flag (one Redis SET NX per connection per committed
batch, see inbox.py) and queues the drain when the flag was not already up. The drain lowers
the flag *before* reading, so a row committed before any later flag check is always seen by
some drain.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from .. import jobs
from ..db import session
from ..gateways import adapter_for
from ..integrations.gateways.errors import GatewayError
from ..models import GatewayConnection, InboundWebhook, utcnow
from .upsert import mark_deleted, upsert_records

log = logging.getLogger(__name__)
BATCH = 200
MAX_ATTEMPTS = 5


def _flag(connection_id: int) -> str:
    return f"webhooks-drain-{connection_id}"


def schedule_drain(connection_id: int) -> None:
    """Called after a delivery is committed: make sure a drain for its connection is queued."""
    if jobs.backend().raise_flag(_flag(connection_id), ttl=600):
        jobs.enqueue(drain_webhooks, connection_id)


@jobs.job
def drain_webhooks(connection_id: int) -> None:
    jobs.backend().lower_flag(_flag(connection_id))
    s = session()
    connection = s.get(GatewayConnection, connection_id)
    if connection is None:
        return
    adapter = adapter_for(connection)
    retry_later = False
    while True:
        rows = _next_batch(connection_id)
        if not rows:
            break
        for row in rows:
            retry_later |= not _process(s, adapter, connection, row)
        s.commit()
    if retry_later:
        raise RuntimeError("some webhooks failed with retryable errors; the drain will run again")


def _next_batch(connection_id: int) -> list[InboundWebhook]:
    stmt = (select(InboundWebhook)
            .where(InboundWebhook.connection_id == connection_id,
                   InboundWebhook.status.in_(("received", "retry")))
            .order_by(InboundWebhook.id).limit(BATCH).with_for_update(skip_locked=True))
    return list(session().scalars(stmt))


def _process(s, adapter, connection, row: InboundWebhook) -> bool:
    """Apply one delivery; False if it should be tried again later."""
    row.attempts += 1
    try:
        event = adapter.parse_webhook(headers=row.headers, body=row.body, verify=False)
        if not event.known:
            row.status, row.processed_at = "ignored", utcnow()
            return True
        records = list(event.records) + list(adapter.hydrate_event(event))
        with s.begin_nested():
            upsert_records(s, connection, records)
            for kind, external_id in event.deleted:
                mark_deleted(s, connection, kind, external_id)
    except GatewayError as exc:
        row.error = exc.message
        row.status = "retry" if exc.retryable and row.attempts < MAX_ATTEMPTS else "failed"
        return row.status != "retry"
    except Exception as exc:  # a bug or a malformed body: park it, keep draining the rest
        log.exception("webhook %s could not be processed", row.event_id)
        row.status, row.error = "failed", f"{exc.__class__.__name__}: {exc}"[:500]
        return True
    row.status, row.processed_at, row.error = "processed", utcnow(), None
    return True

"""Turning a stored webhook into mirror changes, with the same upserts the backfill uses."""
from __future__ import annotations

import logging

from ..db import session
from ..gateways import adapter_for
from ..integrations.gateways.errors import GatewayError, GatewayNotFound
from ..jobs import job
from ..models import GatewayConnection, InboundWebhook, utcnow
from .upsert import mark_deleted, upsert_records

log = logging.getLogger(__name__)


@job
def process_webhook(webhook_id: int) -> None:
    s = session()
    row = s.get(InboundWebhook, webhook_id)
    if row is None or row.status in ("processed", "ignored"):
        return
    connection = s.get(GatewayConnection, row.connection_id)
    adapter = adapter_for(connection)
    row.attempts += 1
    event = adapter.parse_webhook(headers=row.headers, body=row.body, verify=False)
    if not event.known:
        row.status, row.processed_at = "ignored", utcnow()
        s.commit()
        return
    records = list(event.records)
    try:
        records += [adapter.fetch(kind, external_id) for kind, external_id in event.refetch]
    except GatewayNotFound:
        log.info("webhook %s refers to an object that no longer exists", row.event_id)
    except GatewayError as exc:
        row.error = exc.message
        s.commit()
        raise  # retryable or not, let the job retry policy decide; the row records why
    upsert_records(s, connection, records)
    for kind, external_id in event.deleted:
        mark_deleted(s, connection, kind, external_id)
    row.status, row.processed_at, row.error = "processed", utcnow(), None
    s.commit()

"""Backfill a connection page by page, saving the cursor after each page (resumable)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..db import session
from ..gateways import adapter_for
from ..integrations.gateways.records import ObjectKind
from ..jobs import job
from ..models import GatewayConnection, utcnow
from .upsert import upsert_records

PAGE_SIZE = 100
ProgressFn = Callable[[ObjectKind, int], None]


@dataclass
class SyncReport:
    counts: dict[str, int]
    resumed: bool


def sync_connection_now(connection_id: int, *, progress: ProgressFn | None = None,
                        page_size: int = PAGE_SIZE, max_pages: int | None = None) -> SyncReport:
    """Walk every kind the gateway can list; one transaction per page, cursor saved with it.

    `max_pages` stops early (tests of interruption, benchmarks); the next call resumes.
    """
    s = session()
    connection = s.get(GatewayConnection, connection_id)
    if connection is None:
        raise LookupError(f"no gateway connection {connection_id}")
    adapter = adapter_for(connection)
    state = dict(connection.sync_state or {})
    report = SyncReport(counts={}, resumed=bool(state))
    pages = 0
    for kind in adapter.syncable_kinds:
        kind_state = state.get(kind, {})
        cursor, done = kind_state.get("cursor"), kind_state.get("done", False)
        while not done:
            if max_pages is not None and pages >= max_pages:
                return report
            page = adapter.list_page(kind, cursor=cursor, limit=page_size)
            upsert_records(s, connection, page.items)
            cursor, done = page.next_cursor, page.next_cursor is None
            state[kind] = {"cursor": cursor, "done": done}
            connection.sync_state = dict(state)
            s.commit()
            pages += 1
            report.counts[kind] = report.counts.get(kind, 0) + len(page.items)
            if progress:
                progress(kind, len(page.items))
    connection.sync_state = {}  # complete: the next sync walks from the start again
    connection.last_synced_at = utcnow()
    s.commit()
    return report


@job
def sync_connection(connection_id: int) -> None:
    """RQ job: the same backfill, resumable across worker restarts."""
    sync_connection_now(connection_id)

"""Backfill a connection page by page, saving the cursor after each page (resumable).

While one page is written to the database the next is already being fetched, so the gateway's
latency and our writes overlap instead of adding up.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from ..db import session
from ..gateways import adapter_for
from ..integrations.gateways.records import ObjectKind, Page
from ..jobs import job
from ..models import GatewayConnection, utcnow
from .upsert import adopt_orphans, upsert_records

PAGE_SIZE = 100
ProgressFn = Callable[[ObjectKind, int], None]


@dataclass
class SyncReport:
    counts: dict[str, int]
    resumed: bool


class _Budget:
    """How many pages may still be written (None: unlimited); for interruption tests and benches."""

    def __init__(self, max_pages: int | None):
        self.left = max_pages

    def spend(self) -> bool:
        if self.left is None:
            return True
        self.left -= 1
        return self.left >= 0


def sync_connection_now(connection_id: int, *, progress: ProgressFn | None = None,
                        page_size: int = PAGE_SIZE, max_pages: int | None = None) -> SyncReport:
    """Walk every kind the gateway can list; one transaction per page, cursor saved with it."""
    s = session()
    connection = s.get(GatewayConnection, connection_id)
    if connection is None:
        raise LookupError(f"no gateway connection {connection_id}")
    adapter = adapter_for(connection)
    state = dict(connection.sync_state or {})
    report = SyncReport(counts={}, resumed=bool(state))
    budget = _Budget(max_pages)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch") as prefetcher:
        for kind in adapter.syncable_kinds:
            if not _sync_kind(s, connection, adapter, kind, state, report, budget, prefetcher,
                              page_size, progress):
                return report  # out of budget: the saved cursors resume it
    connection.sync_state = {}  # complete: the next sync walks from the start again
    connection.last_synced_at = utcnow()
    s.commit()
    return report


def _sync_kind(s, connection, adapter, kind, state, report, budget, prefetcher, page_size, progress) -> bool:
    kind_state = state.get(kind, {})
    if kind_state.get("done"):
        return True
    fetch = lambda cursor: adapter.list_page(kind, cursor=cursor, limit=page_size)  # noqa: E731
    pending = prefetcher.submit(fetch, kind_state.get("cursor"))
    while pending is not None:
        page: Page = pending.result()
        pending = prefetcher.submit(fetch, page.next_cursor) if page.next_cursor else None
        if not budget.spend():
            return False
        upsert_records(s, connection, page.items, want_ids=False)
        state[kind] = {"cursor": page.next_cursor, "done": page.next_cursor is None}
        _save_state(s, connection, state)
        s.commit()
        report.counts[kind] = report.counts.get(kind, 0) + len(page.items)
        if progress:
            progress(kind, len(page.items))
    adopt_orphans(s, connection)  # once per kind, not per page
    s.commit()
    return True


def _save_state(s, connection: GatewayConnection, state: dict) -> None:
    """The cursor, in the page's transaction, as one UPDATE statement (no unit-of-work flush)."""
    saved = dict(state)
    s.execute(update(GatewayConnection.__table__).where(GatewayConnection.__table__.c.id == connection.id)
              .values(sync_state=saved))
    set_committed_value(connection, "sync_state", saved)  # the loaded object agrees with the row


@job
def sync_connection(connection_id: int) -> None:
    """RQ job: the same backfill, resumable across worker restarts."""
    sync_connection_now(connection_id)

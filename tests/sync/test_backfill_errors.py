"""A gateway error mid-backfill: the pages before it stay written, the cursor points after them,
the prefetch thread is gone, and the next run resumes from there."""
import threading

import pytest
from sqlalchemy import func, select

from backend.db import session
from backend.integrations.gateways.errors import GatewayUnavailable
from backend.integrations.gateways.records import CustomerRecord, ObjectKind, Page
from backend.models import Customer, GatewayConnection
from backend.sync import backfill


class Pages:
    """A cursor chain of `count` one-customer pages ("1" -> "2" -> ...); fails at page `fail_at`."""

    def __init__(self, count: int, fail_at: int | None = None):
        self.count, self.fail_at, self.calls = count, fail_at, []

    def __call__(self, cursor):
        n = int(cursor or 0)
        self.calls.append(cursor)
        if n == self.fail_at:
            raise GatewayUnavailable("gateway fell over")
        items = (CustomerRecord(external_id=f"cus_{n}", email=None),)
        return Page(items=items, next_cursor=str(n + 1) if n + 1 < self.count else None)


class FakeAdapter:
    syncable_kinds = (ObjectKind.CUSTOMER,)

    def __init__(self, fetch):
        self.fetch = fetch

    def list_page(self, kind, *, cursor, limit):
        return self.fetch(cursor)


def test_pages_before_a_fetch_error_stay_and_the_next_run_resumes_after_them(account, monkeypatch):
    s = session()
    connection = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": "sk_test_x"})
    s.add(connection)
    s.commit()
    monkeypatch.setattr(backfill, "adapter_for", lambda conn: FakeAdapter(Pages(6, fail_at=3)))
    with pytest.raises(GatewayUnavailable):
        backfill.sync_connection_now(connection.id)
    s.rollback()
    assert not [t for t in threading.enumerate() if t.name.startswith("sync-prefetch")]
    assert s.scalar(select(func.count()).select_from(Customer)) == 3
    s.expire_all()
    assert s.get(GatewayConnection, connection.id).sync_state == {"customer": {"cursor": "3", "done": False}}
    resumed = Pages(6)
    monkeypatch.setattr(backfill, "adapter_for", lambda conn: FakeAdapter(resumed))
    report = backfill.sync_connection_now(connection.id)
    assert resumed.calls == ["3", "4", "5"] and report.counts == {"customer": 3}
    assert s.scalar(select(func.count()).select_from(Customer)) == 6
    s.expire_all()
    assert s.get(GatewayConnection, connection.id).sync_state == {}

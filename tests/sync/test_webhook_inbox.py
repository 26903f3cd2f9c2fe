"""Group commit of deliveries: shared INSERTs, per-event duplicates, failures kept apart."""
import threading
import time

import pytest
from flask import current_app
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from backend import create_app, db, schema
from backend.models import InboundWebhook
from backend.sync import inbox


def _row(conn, event_id: str, connection_id: int | None = None) -> inbox.Row:
    return inbox.Row(account_id=conn.account_id, connection_id=connection_id or conn.id,
                     event_id=event_id, event_type="charge.succeeded", body=b"{}",
                     headers={"Stripe-Signature": "t=1,v1=x"})


def _stored() -> int:
    with db.engine().connect() as c:
        return c.scalar(select(func.count()).select_from(InboundWebhook))


def _stored_ids() -> set[str]:
    with db.engine().connect() as c:
        return set(c.scalars(select(InboundWebhook.event_id)))


class _HeldFirstBatch:
    """Hold the first batch's INSERT until `expected` more writers queue behind it."""

    def __init__(self, monkeypatch, expected: int):
        self.expected, self.batches = expected, []
        self.real = inbox._insert_postgresql
        monkeypatch.setattr(inbox, "_insert_postgresql", self)

    def __call__(self, conn, rows):
        self.batches.append([r.event_id for r in rows])
        if len(self.batches) == 1:
            queue = current_app.extensions[inbox._EXT].queue
            deadline = time.monotonic() + 10
            while len(queue) < 1 + self.expected and time.monotonic() < deadline:
                time.sleep(0.005)
        return self.real(conn, rows)


def _store_in_threads(app, rows):
    """inbox.store for each row, each in its own thread (as gunicorn's); results in row order."""
    results: list = [None] * len(rows)

    def run(i):
        with app.app_context():
            try:
                results[i] = inbox.store(rows[i])
            except Exception as exc:  # noqa: BLE001 - the test looks at it
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"{rows[i].event_id}-{i}")
               for i in range(len(rows))]
    threads[0].start()
    time.sleep(0.05)  # the first leads and is held; the rest queue behind it
    for t in threads[1:]:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_waiting_deliveries_share_one_insert_and_duplicates_are_per_event(
        app, ctx, stripe_connection, monkeypatch):
    assert inbox.store(_row(stripe_connection, "evt_old")) is True
    flags = []  # (leader's thread, connection, rows visible in the database then)
    monkeypatch.setattr(inbox, "schedule_drain", lambda cid: flags.append(
        (threading.current_thread().name, cid, _stored_ids())))
    held = _HeldFirstBatch(monkeypatch, expected=4)
    rows = [_row(stripe_connection, e) for e in ("evt_a", "evt_b", "evt_c", "evt_c", "evt_old")]
    results = _store_in_threads(app, rows)
    assert held.batches[0] == ["evt_a"]
    assert sorted(held.batches[1]) == ["evt_b", "evt_c", "evt_old"]  # one copy of evt_c
    assert len(held.batches) == 2
    # Exactly one of the two evt_c copies is new; the event stored before is a duplicate.
    assert results[0] is True and results[1] is True and results[4] is False
    assert sorted(results[2:4]) == [False, True]
    assert _stored() == 4
    # One flag per batch with new rows, raised by its leader after the batch was committed.
    assert len(flags) == 2 and {cid for _, cid, _ in flags} == {stripe_connection.id}
    # (batch two has new rows and repeats: one flag for its connection)
    first, second = sorted(flags, key=lambda flag: flag[0] != "evt_a-0")
    assert first[0] == "evt_a-0" and "evt_a" in first[2]
    assert {"evt_b", "evt_c"} <= second[2]


def test_a_failing_row_fails_alone(app, ctx, stripe_connection, monkeypatch):
    monkeypatch.setattr(inbox, "schedule_drain", lambda cid: None)
    held = _HeldFirstBatch(monkeypatch, expected=3)
    rows = [_row(stripe_connection, "evt_1"), _row(stripe_connection, "evt_2"),
            _row(stripe_connection, "evt_gone", connection_id=987654),  # no such connection
            _row(stripe_connection, "evt_3")]
    results = _store_in_threads(app, rows)
    assert len(held.batches[1]) == 3  # tried together first, then one by one
    assert results[0] is True and results[1] is True and results[3] is True
    assert isinstance(results[2], IntegrityError)
    assert _stored() == 3


def test_alone_a_delivery_is_its_own_batch(ctx, stripe_connection, monkeypatch):
    monkeypatch.setattr(inbox, "schedule_drain", lambda cid: None)
    assert inbox.store(_row(stripe_connection, "evt_solo")) is True
    assert inbox.store(_row(stripe_connection, "evt_solo")) is False
    assert not current_app.extensions[inbox._EXT].queue


def test_a_dropped_database_connection_is_replaced(ctx, stripe_connection, monkeypatch):
    monkeypatch.setattr(inbox, "schedule_drain", lambda cid: None)
    assert inbox.store(_row(stripe_connection, "evt_before")) is True
    held = current_app.extensions[inbox._EXT].conn
    pid = held.connection.driver_connection.info.backend_pid
    with db.engine().connect() as c:
        c.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    with pytest.raises(OperationalError):
        inbox.store(_row(stripe_connection, "evt_during"))
    assert inbox.store(_row(stripe_connection, "evt_after")) is True
    assert _stored() == 2


def test_sqlite_demo_stores_through_the_same_inbox(app_settings, tmp_path):
    from tests.sync.test_webhook_receivers import _delivery

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    schema.upgrade(create_engine(url))
    embedded = create_app(dict(app_settings, DATABASE_URL=url, REDIS_URL=""))
    with embedded.app_context():
        from backend.accounts import create_account
        from backend.db import transaction
        from backend.models import GatewayConnection

        with transaction() as s:
            account = create_account(s, name="Demo", slug="demo")
            conn = GatewayConnection(account_id=account.id, kind="stripe",
                                     credentials={"api_key": "sk_test_x"},
                                     webhook_secrets=["whsec_test_secret"])
            s.add(conn)
    client = embedded.test_client()
    body, headers = _delivery(1)
    first = client.post(f"/webhooks/stripe/{conn.id}", data=body, headers=headers)
    again = client.post(f"/webhooks/stripe/{conn.id}", data=body, headers=headers)
    assert first.get_json() == {"received": True, "duplicate": False}
    assert again.get_json() == {"received": True, "duplicate": True}
    with embedded.app_context():
        row = db.session().scalars(select(InboundWebhook)).one()
        assert row.body == body and row.headers["Stripe-Signature"] == headers["Stripe-Signature"]


def test_no_answer_before_the_drain_flag_is_raised(ctx, stripe_connection, monkeypatch):
    def redis_down(_cid):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(inbox, "schedule_drain", redis_down)
    with pytest.raises(ConnectionError):
        inbox.store(_row(stripe_connection, "evt_unflagged"))
    assert _stored_ids() == {"evt_unflagged"}  # committed, but the request was not acknowledged
    flags = []
    monkeypatch.setattr(inbox, "schedule_drain", flags.append)
    assert inbox.store(_row(stripe_connection, "evt_unflagged")) is False  # the gateway's retry
    assert flags == [stripe_connection.id]  # ... queues the drain the first one could not

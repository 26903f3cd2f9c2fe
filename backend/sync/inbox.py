"""Storing verified deliveries: concurrent requests share one INSERT, one commit, one drain flag.

Group commit with a leader, as in LevelDB's write queue: a request queues its row; the one at
the head of the queue becomes the leader, takes every row queued at that moment (its own
first) and stores them with one multi-row INSERT .. ON CONFLICT DO NOTHING in autocommit (one
statement, one WAL flush for the lot). Then it hands the head of the queue on (the next batch
is inserted meanwhile), raises each connection's drain flag once (events.schedule_drain, after
the commit, as a lone request would) and only then releases its followers. Alone, a request
leads a batch of one: no thread hand-off, no waiting.

Nothing is answered before its row is committed, so durability is that of a lone INSERT. Each
request learns whether *its* row was new: RETURNING names the inserted (connection_id,
event_id) pairs, and a second copy of an event in the same batch is a duplicate. If a batch
fails, its rows are retried one by one so that one bad row (e.g. its connection was just
deleted) fails only its own request.
"""
from __future__ import annotations

import json
import os
import threading
from collections import deque
from dataclasses import dataclass
from itertools import islice

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from .. import db
from ..models import InboundWebhook
from .events import schedule_drain

MAX_BATCH = 64
_EXT = "chargedesk.webhook_inbox"


@dataclass
class Row:
    account_id: int
    connection_id: int
    event_id: str
    event_type: str
    body: bytes
    headers: dict


@dataclass(eq=False)
class _Writer:
    row: Row
    wake: threading.Condition | None = None  # made only if it has to wait
    leads: bool = False
    done: bool = False
    new: bool = False
    error: BaseException | None = None


class Inbox:
    """The write queue of one app in one process (the threads of a gunicorn worker).

    One leader INSERTs at a time, so leaders share one database connection, held open: no pool
    checkout per batch (a connection that failed is dropped; the next batch opens another).
    A leader hands the queue on as soon as its INSERT is done and raises its drain flags while
    the next batch is being inserted; its followers are released after both.
    """

    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.queue: deque[_Writer] = deque()  # the leader's batch first, then who waits
        self.conn = None

    def store(self, row: Row) -> bool:
        writer = _Writer(row)
        with self.lock:
            self.queue.append(writer)
            writer.leads = len(self.queue) == 1
            while not (writer.leads or writer.done):
                writer.wake = writer.wake or threading.Condition(self.lock)
                writer.wake.wait()
            if writer.leads:  # take the queue as it is now, ourselves first
                batch = list(islice(self.queue, MAX_BATCH))
        if writer.leads:
            self._lead(batch)
        if writer.error is not None:
            raise writer.error
        return writer.new

    def _lead(self, batch: list[_Writer]) -> None:
        try:
            self._insert_each(batch)
        except BaseException as exc:  # never leave a follower waiting
            for other in batch:
                other.error = other.error or exc
        with self.lock:  # hand the queue on
            for _ in batch:
                self.queue.popleft()
            if self.queue:
                head = self.queue[0]
                head.leads = True
                if head.wake is not None:
                    head.wake.notify()
        # After the commit, as a lone request would. Repeats too: if a first delivery was stored
        # but its flag failed (500), the gateway's retry is what gets the drain queued.
        stored = [w for w in batch if w.error is None]
        try:
            for connection_id in dict.fromkeys(w.row.connection_id for w in stored):
                schedule_drain(connection_id)
        except BaseException as exc:
            for other in stored:
                other.error = exc
        with self.lock:
            for other in batch:
                other.done = True
                if other.wake is not None:
                    other.wake.notify()

    def _insert_each(self, batch: list[_Writer]) -> None:
        """Insert the batch, or its rows one by one if it fails (errors kept per writer)."""
        try:
            self._insert(batch)
        except Exception:
            if len(batch) == 1:
                raise
            for writer in batch:
                try:
                    self._insert([writer])
                except Exception as exc:
                    writer.error = exc

    def _insert(self, batch: list[_Writer]) -> None:
        first: dict[tuple[int, str], _Writer] = {}
        for writer in batch:  # a later copy of the same event in this batch is a duplicate
            first.setdefault((writer.row.connection_id, writer.row.event_id), writer)
        rows = [w.row for w in first.values()]
        if self.conn is None:
            self.conn = db.engine().connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if self.conn.dialect.name == "postgresql":
                inserted = _insert_postgresql(self.conn, rows)
            else:
                inserted = _insert_sqlite(self.conn, rows)
        except DBAPIError as exc:
            if exc.connection_invalidated or not isinstance(exc, IntegrityError):
                self.conn.close()  # to the pool (or away, if invalidated); a fresh one next time
                self.conn = None
            raise
        for connection_id, event_id in inserted:
            first[(connection_id, event_id)].new = True


def store(row: Row) -> bool:
    """Store a verified delivery durably; True if new, False if its event id was already stored."""
    inbox = current_app.extensions.get(_EXT)
    if inbox is None or inbox.pid != os.getpid():  # none yet, or inherited across a fork
        inbox = current_app.extensions[_EXT] = Inbox()
    return inbox.store(row)


_COLUMNS = ("account_id, connection_id, event_id, event_type, body, headers, status, attempts, "
            "received_at")
_PG_VALUES = "(%s, %s, %s, %s, %s, %s::jsonb, 'received', 0, now())"


def _insert_postgresql(conn, rows: list[Row]) -> list[tuple[int, str]]:
    """On psycopg directly: through Core, building and running the INSERT cost twice the time.

    One query text per batch size; psycopg prepares each after a few uses. Driver errors come
    out as SQLAlchemy's (IntegrityError ...), and a dropped connection leaves the pool.
    """
    sql = (f"INSERT INTO inbound_webhooks ({_COLUMNS}) VALUES "
           + ", ".join([_PG_VALUES] * len(rows))
           + " ON CONFLICT (connection_id, event_id) DO NOTHING RETURNING connection_id, event_id")
    params = []
    for r in rows:
        params += (r.account_id, r.connection_id, r.event_id, r.event_type, r.body,
                   json.dumps(r.headers))
    driver = conn.connection.driver_connection
    dbapi = conn.dialect.loaded_dbapi
    try:
        return driver.execute(sql, params).fetchall()
    except dbapi.Error as exc:
        if conn.dialect.is_disconnect(exc, driver, None):
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, hide_parameters=True,
                                  connection_invalidated=conn.invalidated) from exc


_PORTABLE: list = []


def _insert_sqlite(conn, rows: list[Row]) -> list[tuple[int, str]]:
    """SQLite (the demo): one Core statement, executed with many rows."""
    if not _PORTABLE:
        table = InboundWebhook.__table__
        _PORTABLE.append(sqlite_insert(table).values(
            account_id=bindparam("account_id"), connection_id=bindparam("connection_id"),
            event_id=bindparam("event_id"), event_type=bindparam("event_type"),
            body=bindparam("body"), headers=bindparam("headers"), status="received", attempts=0,
        ).on_conflict_do_nothing(index_elements=["connection_id", "event_id"]).returning(
            table.c.connection_id, table.c.event_id))
    return [tuple(r) for r in conn.execute(_PORTABLE[0], [r.__dict__ for r in rows])]

"""Turning stored webhooks into mirror changes, with the same upserts the backfill uses.

Deliveries are drained per connection, in arrival order. Once deliveries are committed, the
receiver raises the connection's drain flag (one Redis INCR per connection per committed batch,
see inbox.py) and queues a drain only when the flag was down. The flag counts raises, and it
stays up while a drain runs; the drain lowers it only if it was not raised since the drain's
last read began (compare-and-delete), else it reads again. So a row committed before its raise
is read by a drain that is running (the raise made its lowering fail), or by the one that raise
queued (the flag was down). Each drain is its own RQ job: a job id reused while a drain still
runs would make that enqueue a no-op, and its rows would wait for the flag's TTL. Rows are taken
with FOR UPDATE SKIP LOCKED, so a second drainer (the sweep, see sweep.py) never applies a row twice.
"""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from .. import jobs
from ..db import session
from ..gateways import adapter_for
from ..integrations.gateways.errors import GatewayError
from ..models import GatewayConnection, InboundWebhook, utcnow
from .upsert import mark_deleted, upsert_records

log = logging.getLogger(__name__)
BATCH = 200
MAX_ATTEMPTS = 5
FLAG_TTL_SECONDS = 600  # a flag left up by a drain that died goes down by itself (and the sweep helps)


def _flag(connection_id: int) -> str:
    return f"webhooks-drain-{connection_id}"


def schedule_drain(connection_id: int) -> None:
    """Called after a delivery is committed: make sure a drain will read it."""
    if jobs.backend().raise_flag(_flag(connection_id), ttl=FLAG_TTL_SECONDS):
        queue_drain(connection_id)


def queue_drain(connection_id: int) -> None:
    """Queue a drain job of its own (see the module docstring for why not a shared id)."""
    job_id = f"{jobs.job_id_for(drain_webhooks, connection_id)}-{uuid.uuid4().hex[:16]}"
    try:
        jobs.enqueue(drain_webhooks, connection_id, job_id=job_id)
    except BaseException:
        _lower_after_failure(jobs.backend(), _flag(connection_id))  # the next delivery tries again
        raise


@jobs.job
def drain_webhooks(connection_id: int) -> None:
    """RQ job: apply what is pending; raise at the end if some rows are to be retried later."""
    if drain_connection(connection_id).retry_later:
        raise RuntimeError("some webhooks failed with retryable errors; the drain will run again")


class Drained:
    """What a drain did: counts by the status it left rows in."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def retry_later(self) -> bool:
        return bool(self.counts.get("retry"))

    def line(self) -> str:
        return ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items())) or "nothing pending"


def drain_connection(connection_id: int, *, max_rounds: int | None = None) -> Drained:
    """Apply the connection's pending deliveries until no delivery arrived during the last read.

    After `max_rounds` reads that each saw new arrivals, a fresh drain job takes over (the
    sweep's use: it must not be held by one busy connection)."""
    flags, flag = jobs.backend(), _flag(connection_id)
    drained, rounds = Drained(), 0
    try:
        connection = session().get(GatewayConnection, connection_id)
        if connection is not None:
            adapter = adapter_for(connection)
            _apply_rows(connection, adapter, drained, statuses=("retry",))  # once per drain
        while True:
            session().commit()  # each round reads in a new transaction (an old snapshot hides rows)
            seen = flags.flag_state(flag)  # before reading: a raise after this is noticed below
            if connection is not None:
                _apply_rows(connection, adapter, drained, statuses=("received",))
            if flags.lower_flag_if(flag, seen):
                return drained
            rounds += 1
            if max_rounds is not None and rounds >= max_rounds:
                flags.lower_flag(flag)
                schedule_drain(connection_id)
                return drained
    except BaseException:
        session().rollback()
        _lower_after_failure(flags, flag)
        raise


def _lower_after_failure(flags, flag: str) -> None:
    """After a failed drain (RQ retries it) or enqueue: the next delivery queues a fresh drain."""
    try:
        flags.lower_flag(flag)
    except Exception:  # noqa: BLE001 - the drain's own error is the one to report
        log.exception("could not lower the drain flag %s", flag)


def _apply_rows(connection, adapter, drained: Drained, *, statuses: tuple[str, ...]) -> None:
    """Apply rows in these statuses, batch by batch, each row at most once."""
    s, after = session(), 0
    while True:
        rows = _next_batch(connection.id, statuses=statuses, after=after)
        if not rows:
            return
        for row in rows:
            _process(s, adapter, connection, row)
            drained.add(row.status)
        after = rows[-1].id if statuses == ("retry",) else 0
        s.commit()


def _next_batch(connection_id: int, *, statuses: tuple[str, ...] = ("received",),
                after: int = 0) -> list[InboundWebhook]:
    """The oldest rows in `statuses` no other drain holds.

    `after` is only for rows that exist already (retries): ids are taken at INSERT, and a
    lower id can commit later, so received rows are read from the start each time (a row
    applied here leaves `received`, so it is not read again)."""
    stmt = (select(InboundWebhook)
            .where(InboundWebhook.connection_id == connection_id, InboundWebhook.status.in_(statuses),
                   InboundWebhook.id > after)
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
    except Exception as exc:  # a bug or a malformed body: park it (its writes undone), drain the rest
        row.status, row.error = "failed", failure_reason(exc)
        log.error("webhook row %s could not be processed: %s", row.id, row.error,
                  exc_info=not isinstance(exc, DBAPIError))  # a statement's parameters stay out of logs
        return True
    row.status, row.processed_at, row.error = "processed", utcnow(), None
    return True


def failure_reason(exc: Exception) -> str:
    """What a failed row records: the driver's first line for a database error (a value too long
    or out of range for its column), without the statement or its parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        return f"{exc.orig.__class__.__name__}: {lines[0] if lines else ''}"[:500]
    return f"{exc.__class__.__name__}: {exc}"[:500]

"""A worker duty: drain connections whose deliveries waited too long (a lost wake-up, a dead drain).

Every CHARGEDESK_WEBHOOK_SWEEP_SECONDS (default 60) a delayed job finds connections with rows
still `received` (or `retry`) that arrived more than CHARGEDESK_WEBHOOK_STALE_SECONDS ago
(default 60) and drains each one in place with the drain's own loop: row locks keep every
delivery applied once even beside a running drain, and the drain's ending lowers a flag that a
dead drain left up. Each sweep schedules the next under an id naming its time slot, so workers
started at different moments share one chain. `chargedesk webhooks sweep` runs one sweep now.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import jobs
from ..db import session
from ..models import InboundWebhook, utcnow
from .events import drain_connection

log = logging.getLogger(__name__)
DEFAULT_SWEEP_SECONDS = 60
DEFAULT_STALE_SECONDS = 60
PENDING = ("received", "retry")
MAX_ROUNDS = 5  # a connection still busy after this many reads is handed to a drain job


@dataclass(frozen=True)
class SweepOutcome:
    connection_id: int
    summary: str
    ok: bool = True

    def line(self) -> str:
        return f"connection {self.connection_id}: {self.summary}"


def _seconds(name: str, default: int) -> int:
    raw = current_app.config["SETTINGS"].extra.get(name)
    return max(1, int(float(raw))) if raw else default


def sweep_interval() -> int:
    """CHARGEDESK_WEBHOOK_SWEEP_SECONDS, or the default."""
    return _seconds("WEBHOOK_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS)


def stale_after() -> int:
    """CHARGEDESK_WEBHOOK_STALE_SECONDS, or the default."""
    return _seconds("WEBHOOK_STALE_SECONDS", DEFAULT_STALE_SECONDS)


def stale_connections(*, older_than: float) -> list[int]:
    """Connections with deliveries pending for more than `older_than` seconds, oldest first."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    stmt = (select(InboundWebhook.connection_id)
            .where(InboundWebhook.status.in_(PENDING), InboundWebhook.received_at <= cutoff)
            .group_by(InboundWebhook.connection_id).order_by(InboundWebhook.connection_id))
    ids = list(session().scalars(stmt))
    session().rollback()  # end the read; each drain runs its own transactions
    return ids


def sweep_stale_deliveries(*, older_than: float) -> list[SweepOutcome]:
    """Drain every connection with stale deliveries; one failing connection does not stop the rest."""
    outcomes = []
    for connection_id in stale_connections(older_than=older_than):
        try:
            drained = drain_connection(connection_id, max_rounds=MAX_ROUNDS)
        except Exception as exc:  # noqa: BLE001 - reported, and the next sweep tries again
            log.exception("sweeping the webhooks of connection %s failed", connection_id)
            outcomes.append(SweepOutcome(connection_id, f"failed: {exc.__class__.__name__}: {exc}"[:300],
                                         ok=False))
        else:
            outcomes.append(SweepOutcome(connection_id, drained.line()))
    return outcomes


@jobs.job
def sweep_webhooks(slot: int) -> None:
    """Delayed job (the worker duty): sweep, then schedule the next sweep whatever happened."""
    try:
        for outcome in sweep_stale_deliveries(older_than=stale_after()):
            log.warning("webhook sweep: %s", outcome.line())  # every line means a drain was missed
    finally:
        schedule_next_sweep()


def schedule_next_sweep() -> None:
    """Schedule the sweep of the next time slot (the same id from any worker: one chain)."""
    interval, now = sweep_interval(), time.time()
    slot = (int(now) // interval + 1) * interval
    jobs.enqueue_in(sweep_webhooks, slot, delay_seconds=max(0.0, slot - now),
                    job_id=f"webhooks-sweep-{slot}")

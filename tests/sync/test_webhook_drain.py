"""Drains never lose a wake-up: deliveries stored while a drain runs are applied within seconds."""
from __future__ import annotations

import json
import time

from sqlalchemy import func, select, text

from backend import db
from backend.db import session
from backend.models import Charge, InboundWebhook
from backend.sync import events
from tests.conftest import wait_for

from .test_webhook_route import _sign


def charge_event(event_id: str) -> bytes:
    """A charge.succeeded event whose charge has no customer (one upsert into charges).

    The charge predates the connection, so it issues no receipt (no document jobs queue up)."""
    now = int(time.time())
    return json.dumps({"id": event_id, "object": "event", "type": "charge.succeeded", "created": now,
                       "data": {"object": {"id": f"ch_{event_id}", "object": "charge", "amount": 700,
                                           "amount_captured": 700, "amount_refunded": 0,
                                           "captured": True, "currency": "usd",
                                           "status": "succeeded", "customer": None,
                                           "created": now - 30 * 86400}}}).encode()


def deliver(client, connection_id: int, event_id: str) -> None:
    body = charge_event(event_id)
    resp = client.post(f"/webhooks/stripe/{connection_id}", data=body,
                       headers={"Content-Type": "application/json", "Stripe-Signature": _sign(body)})
    assert resp.status_code == 200 and resp.get_json()["duplicate"] is False, resp.get_data()


def statuses() -> dict[str, str]:
    with db.engine().connect() as c:
        return dict(c.execute(select(InboundWebhook.event_id, InboundWebhook.status)).all())


def all_processed(event_ids) -> bool:
    now = statuses()
    return all(now.get(e) == "processed" for e in event_ids)


def blocked_on_charges() -> bool:
    with db.engine().connect() as c:
        return bool(c.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted "
                                  "AND relation = 'charges'::regclass")))


def test_a_burst_during_a_running_drain_then_silence_is_all_applied(client, stripe_connection, rq_worker):
    rq_worker()
    held = db.engine().connect()
    held.begin()
    held.execute(text("LOCK TABLE charges IN EXCLUSIVE MODE"))  # the drain's first upsert waits here
    try:
        deliver(client, stripe_connection.id, "evt_first")
        wait_for(blocked_on_charges, message="the drain to be running (waiting on the charges table)")
        during = [f"evt_during_{n}" for n in range(30)]
        for event_id in during:
            deliver(client, stripe_connection.id, event_id)
    finally:
        held.rollback()
        held.close()
    wait_for(lambda: all_processed(["evt_first", *during]), timeout=15,
             message="the running drain to apply what arrived during it")
    time.sleep(0.5)  # the drain has exited by now
    after = [f"evt_after_{n}" for n in range(10)]
    for event_id in after:
        deliver(client, stripe_connection.id, event_id)
    # Then silence: nothing else arrives to wake a drain up.
    wait_for(lambda: all_processed(after), timeout=10,
             message=f"deliveries after the drain to be applied (statuses: {statuses()})")
    assert session().scalar(select(func.count()).select_from(Charge)) == 41


def test_a_delivery_stored_after_the_drains_last_read_is_applied_before_it_ends(
        ctx, client, stripe_connection, monkeypatch):
    """The race: a row committed between the drain's last (empty) read and its exit."""
    deliver(client, stripe_connection.id, "evt_early")
    real_next_batch = events._next_batch
    late: list[str] = []

    def next_batch(*args, **kwargs):
        rows = real_next_batch(*args, **kwargs)
        if not rows and not late:  # the drain is about to finish: a delivery lands now
            late.append("evt_late")
            deliver(client, stripe_connection.id, "evt_late")
        return rows

    monkeypatch.setattr(events, "_next_batch", next_batch)
    events.drain_webhooks(stripe_connection.id)  # as a worker runs it (no worker in this test)
    assert late == ["evt_late"]
    assert statuses() == {"evt_early": "processed", "evt_late": "processed"}

"""The sweep: deliveries left `received` with no drain coming (no flag, no job) are applied anyway."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.db import session, transaction
from backend.integrations.gateways.stripe.demo import API_KEY
from backend.models import Charge, GatewayConnection, InboundWebhook, utcnow
from tests.conftest import run_cli, wait_for

from .test_webhook_drain import charge_event, deliver, statuses
from .test_webhook_route import _sign


def stored_without_a_drain(connection, event_id: str, *, age_seconds: float) -> None:
    """A verified delivery whose wake-up was lost: stored, but no flag raised and no job queued."""
    body = charge_event(event_id)
    with transaction() as s:
        s.add(InboundWebhook(account_id=connection.account_id, connection_id=connection.id,
                             event_id=event_id, event_type="charge.succeeded", body=body,
                             headers={"Content-Type": "application/json", "Stripe-Signature": _sign(body)},
                             status="received", attempts=0,
                             received_at=utcnow() - timedelta(seconds=age_seconds)))


def charges() -> set[str]:
    session().expire_all()
    return set(session().scalars(select(Charge.external_id)))


def test_workers_sweep_a_stale_row_nobody_woke_a_drain_for(stripe_connection, rq_worker):
    stored_without_a_drain(stripe_connection, "evt_forgotten", age_seconds=120)
    rq_worker(env_extra={"CHARGEDESK_WEBHOOK_SWEEP_SECONDS": "1"})
    wait_for(lambda: statuses() == {"evt_forgotten": "processed"}, timeout=15,
             message="the worker's sweep to apply the forgotten delivery")
    assert charges() == {"ch_evt_forgotten"}


def test_sweep_command_applies_stale_rows_and_leaves_fresh_ones_to_their_drain(
        stripe_connection, stripe_sandbox, worker_env):
    with transaction() as s:
        quiet = GatewayConnection(account_id=stripe_connection.account_id, kind="stripe", name="Stripe 2",
                                  credentials={"api_key": API_KEY}, api_base=stripe_sandbox.url,
                                  webhook_secrets=["whsec_test_secret"])
        s.add(quiet)
    stored_without_a_drain(stripe_connection, "evt_stale", age_seconds=90)
    stored_without_a_drain(quiet, "evt_fresh", age_seconds=5)
    result = run_cli(["webhooks", "sweep"], worker_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"connection {stripe_connection.id}: 1 processed",
                                          "swept 1 connection(s)"]
    assert statuses() == {"evt_stale": "processed", "evt_fresh": "received"}
    assert charges() == {"ch_evt_stale"}
    again = run_cli(["webhooks", "sweep", "--older-than", "0"], worker_env)
    assert again.stdout.splitlines()[-1] == "swept 1 connection(s)"
    assert statuses() == {"evt_stale": "processed", "evt_fresh": "processed"}


def age(event_id: str, seconds: float) -> None:
    with transaction() as s:
        s.execute(update(InboundWebhook).where(InboundWebhook.event_id == event_id)
                  .values(received_at=utcnow() - timedelta(seconds=seconds)))


def test_a_flag_left_up_by_a_dead_drain_is_lowered_by_the_sweep(client, stripe_connection, rq_worker):
    from backend import jobs
    from backend.sync import events

    jobs.backend().raise_flag(events._flag(stripe_connection.id), ttl=600)  # its drain died
    deliver(client, stripe_connection.id, "evt_behind_dead_drain")  # stored; the flag is up, no job
    age("evt_behind_dead_drain", 120)
    rq_worker(env_extra={"CHARGEDESK_WEBHOOK_SWEEP_SECONDS": "1"})
    wait_for(lambda: statuses() == {"evt_behind_dead_drain": "processed"}, timeout=15,
             message="the sweep to apply the delivery behind the dead drain's flag")
    deliver(client, stripe_connection.id, "evt_next")  # the flag is down again: a drain is queued
    wait_for(lambda: statuses().get("evt_next") == "processed", timeout=10,
             message="the next delivery to get a drain of its own")
    # ... and the sweeps keep coming (each schedules the next): a second forgotten row is applied.
    stored_without_a_drain(stripe_connection, "evt_forgotten_later", age_seconds=120)
    wait_for(lambda: statuses().get("evt_forgotten_later") == "processed", timeout=15,
             message="a later sweep to apply a row forgotten after the first sweep")

"""Backfill from the Stripe sandbox through the real adapter into PostgreSQL."""
from sqlalchemy import func, select

from backend.db import session
from backend.models import Charge, Customer, CustomerEmail, GatewayConnection, Refund
from backend.sync.backfill import sync_connection_now


def _count(model):
    return session().scalar(select(func.count()).select_from(model))


def test_counts_and_values_match_the_sandbox(stripe_connection, seeder):
    ada = seeder.customer("Ada@Example.com", "Ada Lovelace")
    ch1 = seeder.charge(ada["id"], 2000)
    seeder.charge(ada["id"], 4900)
    seeder.refund(ch1["id"], 500)
    report = sync_connection_now(stripe_connection.id, page_size=1)
    assert report.counts["customer"] == 1 and report.counts["charge"] == 2 and report.counts["refund"] == 1
    customer = session().scalars(select(Customer)).one()
    assert (customer.email, customer.name) == ("ada@example.com", "Ada Lovelace")
    assert session().scalars(select(CustomerEmail.email)).all() == ["ada@example.com"]
    charge = session().scalars(select(Charge).where(Charge.external_id == ch1["id"])).one()
    assert (charge.amount_minor, charge.amount_refunded_minor, charge.currency) == (2000, 500, "USD")
    assert charge.customer_id == customer.id and charge.card_last4 == "4242"
    refund = session().scalars(select(Refund)).one()
    assert refund.charge_id == charge.id and refund.amount_minor == 500 and refund.action_run_id is None


def test_interrupted_sync_resumes_without_duplicates(stripe_connection, seeder):
    cus = seeder.customer("bulk@example.com")
    for amount in range(100, 107):
        seeder.charge(cus["id"], amount)
    partial = sync_connection_now(stripe_connection.id, page_size=2, max_pages=3)
    session().expire_all()
    state = session().get(GatewayConnection, stripe_connection.id).sync_state
    assert state["charge"]["cursor"] and not state["charge"]["done"]  # stopped mid-charges
    assert partial.counts.get("charge", 0) < 7
    resumed = sync_connection_now(stripe_connection.id, page_size=2)
    assert resumed.resumed
    assert _count(Charge) == 7 and _count(Customer) == 1
    session().expire_all()
    assert session().get(GatewayConnection, stripe_connection.id).sync_state == {}
    sync_connection_now(stripe_connection.id, page_size=50)  # a full re-sync changes nothing
    assert _count(Charge) == 7


def test_zero_and_three_decimal_currencies_round_trip(stripe_connection, seeder):
    cus = seeder.customer("yen@example.com")
    seeder.charge(cus["id"], 5000, "jpy")
    seeder.charge(cus["id"], 1250, "kwd")
    sync_connection_now(stripe_connection.id)
    amounts = dict(session().execute(select(Charge.currency, Charge.amount_minor)).all())
    assert amounts == {"JPY": 5000, "KWD": 1250}


def test_sync_job_runs_on_a_real_worker(stripe_connection, seeder, rq_worker):
    from backend import jobs
    from backend.sync.backfill import sync_connection
    from tests.conftest import wait_for

    cus = seeder.customer("job@example.com")
    seeder.charge(cus["id"], 1234)
    jobs.enqueue(sync_connection, stripe_connection.id)
    rq_worker()

    def synced():
        session().expire_all()
        return _count(Charge) == 1 and session().get(GatewayConnection, stripe_connection.id).last_synced_at
    wait_for(synced, timeout=30, message="the sync job")

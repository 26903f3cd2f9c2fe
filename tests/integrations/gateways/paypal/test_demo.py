"""The demo's PayPal account: seeded from the shared demo customers, connectable as demo_seed does,
syncable, and its signed deliveries accepted by the intake (the sandbox certificate via api_base)."""
from __future__ import annotations

from sqlalchemy import select

from backend.db import session, transaction
from backend.demo_data import DEMO_CUSTOMERS
from backend.integrations.gateways.paypal.demo import start_demo_sandbox
from backend.integrations.gateways.sandbox_server import serve_in_thread


def test_the_demo_account_syncs_into_the_mirror_and_delivers_verified_webhooks(app, account):
    from backend.models import Charge, Customer, GatewayConnection, InboundWebhook, Invoice, Refund, Subscription
    from backend.gateways import adapter_for
    from backend.sync.backfill import sync_connection_now

    demo = start_demo_sandbox(DEMO_CUSTOMERS)
    server = serve_in_thread(app)
    try:
        with transaction() as s:  # as backend/demo_seed.py connects every demo sandbox
            conn = GatewayConnection(account_id=account.id, kind=demo.kind, name="Demo Paypal",
                                     credentials=demo.credentials, api_base=demo.url, webhook_secrets=None)
            s.add(conn)
        demo.register_webhook(f"{server.url}/webhooks/{demo.kind}/{conn.id}")
        report = sync_connection_now(conn.id)
        adapter = adapter_for(conn)
        ada_charge = next(c for c in session().scalars(select(Charge)) if c.amount_minor == 4900)
        adapter.refund(charge_id=ada_charge.external_id, amount=100, currency="USD", reason=None, note=None,
                       idempotency_key="demo-refund")  # PayPal delivers PAYMENT.CAPTURE.REFUNDED to the intake
    finally:
        server.stop()
        demo.stop()
    assert demo.kind == "paypal" and demo.webhook_secret is None
    assert {(c.email, c.name) for c in session().scalars(select(Customer))} == {
        (d.email, d.name) for d in DEMO_CUSTOMERS}
    expected = [a for d in DEMO_CUSTOMERS for a in d.charges[:2]]
    expected += [d.authorize_only for d in DEMO_CUSTOMERS if d.authorize_only]
    assert sorted((c.amount_minor, c.currency) for c in session().scalars(select(Charge))) == sorted(expected)
    assert report.counts["charge"] == len(expected)
    assert [r.amount_minor for r in session().scalars(select(Refund))] == [
        d.refund_first_charge for d in DEMO_CUSTOMERS if d.refund_first_charge]
    assert len(session().scalars(select(Subscription)).all()) == sum(1 for d in DEMO_CUSTOMERS if d.subscription)
    assert {i.status for i in session().scalars(select(Invoice))} == {"draft"}
    stored = session().scalars(select(InboundWebhook)).all()
    assert [w.event_type for w in stored] == ["PAYMENT.CAPTURE.REFUNDED"]

"""The demo's WooCommerce shop: seeded from the shared demo customers, connectable, syncable."""
from __future__ import annotations

from sqlalchemy import select

from backend.db import session, transaction
from backend.demo_data import DEMO_CUSTOMERS
from backend.integrations.gateways.sandbox_server import serve_in_thread
from backend.integrations.gateways.woocommerce.demo import GUEST_EMAIL, start_demo_sandbox


def test_the_demo_shop_syncs_into_the_mirror_and_pings_its_webhook(app, account):
    from backend.models import Charge, Customer, GatewayConnection, InboundWebhook, Invoice, Refund, Subscription
    from backend.sync.backfill import sync_connection_now

    demo = start_demo_sandbox(DEMO_CUSTOMERS)
    server = serve_in_thread(app)
    try:
        with transaction() as s:  # as backend/demo_seed.py connects every demo sandbox
            conn = GatewayConnection(account_id=account.id, kind=demo.kind, name="Demo Woocommerce",
                                     credentials=demo.credentials, api_base=demo.url,
                                     webhook_secrets=[demo.webhook_secret])
            s.add(conn)
        demo.register_webhook(f"{server.url}/webhooks/{demo.kind}/{conn.id}")
        report = sync_connection_now(conn.id)
    finally:
        server.stop()
        demo.stop()
    assert demo.kind == "woocommerce"
    emails = {c.email for c in session().scalars(select(Customer))}
    assert emails == {d.email for d in DEMO_CUSTOMERS} | {GUEST_EMAIL}
    charges = session().scalars(select(Charge)).all()
    expected = [a for d in DEMO_CUSTOMERS for a in d.charges[:2]] + [(1250, "USD")]
    expected += [d.authorize_only for d in DEMO_CUSTOMERS if d.authorize_only]
    assert sorted((c.amount_minor, c.currency) for c in charges) == sorted(expected)
    assert [r.amount_minor for r in session().scalars(select(Refund))] == [
        d.refund_first_charge for d in DEMO_CUSTOMERS if d.refund_first_charge]
    assert len(session().scalars(select(Subscription)).all()) == sum(1 for d in DEMO_CUSTOMERS if d.subscription)
    assert [i.status for i in session().scalars(select(Invoice))] == ["open"]  # the order awaiting a transfer
    assert report.counts["charge"] == len(expected)
    pings = session().scalars(select(InboundWebhook).where(InboundWebhook.event_type == "webhook.ping")).all()
    assert [p.body for p in pings] == [b"webhook_id=1"]

"""The backfill's PostgreSQL bulk path writes exactly what the general upsert path writes."""
from datetime import datetime, timezone

from sqlalchemy import select

from backend.db import transaction
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, DisputeRecord, DisputeStatus, RefundRecord,
    RefundStatus, SubscriptionRecord, SubscriptionStatus, TaxIdRecord,
)
from backend.models import Charge, Customer, Dispute, GatewayConnection, Refund, Subscription, TaxId
from backend.sync.upsert import adopt_orphans, upsert_records

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone.utc)
TRICKY = 'quote " backslash \\ newline \n tab \t unicode é ✓ 😀 percent %(x)s %s'


def _records(prefix=""):
    return [
        CustomerRecord(external_id="cus_1", email="ada@example.com", name=TRICKY, created_at=WHEN, currency="eur",
                       metadata={"nested": {"a": [1, 2, None]}, "text": TRICKY, "n": 12345678901234}),
        ChargeRecord(external_id="ch_1", customer_external_id="cus_1", amount=2000, currency="usd",
                     status=ChargeStatus.SUCCEEDED, raw_status="succeeded", amount_captured=2000,
                     amount_refunded=500, card_brand="visa", card_last4="4242", description=TRICKY,
                     created_at=WHEN),
        ChargeRecord(external_id="ch_2", customer_external_id="cus_elsewhere", amount=9_000_000_000_000,
                     currency="krw", status=ChargeStatus.AUTHORIZED, raw_status="succeeded",
                     amount_capturable=9_000_000_000_000, failure_message=None, created_at=None),
        ChargeRecord(external_id="ch_3", customer_external_id=None, amount=1, currency="jpy",
                     status=ChargeStatus.FAILED, raw_status="failed", failure_message="declined"),
        RefundRecord(external_id="re_1", charge_external_id="ch_1", amount=500, currency="usd",
                     status=RefundStatus.SUCCEEDED, raw_status="succeeded", reason="requested_by_customer",
                     created_at=WHEN, metadata={"chargedesk_key": "run-1", "note": TRICKY}),
        RefundRecord(external_id="re_2", charge_external_id="ch_missing", amount=1, currency="usd",
                     status=RefundStatus.PENDING, raw_status="pending"),
        DisputeRecord(external_id="dp_1", charge_external_id="ch_1", amount=2000, currency="usd",
                      status=DisputeStatus.NEEDS_RESPONSE, raw_status="needs_response", reason="fraudulent",
                      evidence_due_by=WHEN, created_at=WHEN),
        SubscriptionRecord(external_id="sub_1", customer_external_id="cus_1", status=SubscriptionStatus.ACTIVE,
                           raw_status="active", plan_name=TRICKY, price_external_id="price_1", amount=4900,
                           currency="usd", interval="month", quantity=3, current_period_end=WHEN,
                           cancel_at_period_end=True, canceled_at=None, trial_end=WHEN,
                           discount_codes=("SAVE20", "ü")),
        TaxIdRecord(external_id="txi_1", customer_external_id="cus_1", type="eu_vat", value="DE123456789",
                    country="DE", verification_status="verified", created_at=WHEN),
    ]


MODELS = (Customer, Charge, Refund, Dispute, Subscription, TaxId)
IGNORED = {"id", "account_id", "connection_id", "synced_at", "customer_id", "charge_id"}


def _snapshot(s, connection):
    """Every mirrored row of a connection as comparable values; references by external id."""
    customers = dict(s.execute(select(Customer.id, Customer.external_id)
                               .where(Customer.connection_id == connection.id)).all())
    charges = dict(s.execute(select(Charge.id, Charge.external_id).where(Charge.connection_id == connection.id)).all())
    out = {}
    for model in MODELS:
        table = model.__table__
        for row in s.execute(select(table).where(table.c.connection_id == connection.id)).mappings():
            values = {k: v for k, v in row.items() if k not in IGNORED}
            if "customer_id" in row:
                values["customer"] = customers.get(row["customer_id"])
            if "charge_id" in row:
                values["charge"] = charges.get(row["charge_id"])
            out[(table.name, row["external_id"])] = values
    return out


def _connection(s, account):
    conn = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": "sk_test_x"})
    s.add(conn)
    s.flush()
    return conn


def test_bulk_path_writes_what_the_general_path_writes(account):
    with transaction() as s:
        general, bulk, other = _connection(s, account), _connection(s, account), _connection(s, account)
        # The same customer id at another connection must never be linked.
        upsert_records(s, other, [CustomerRecord(external_id="cus_elsewhere", email=None)])
        upsert_records(s, general, _records(), want_ids=True)
        for record in _records():  # the backfill: one kind per call, ids not wanted
            upsert_records(s, bulk, [record], want_ids=False)
        adopt_orphans(s, bulk)
    with transaction() as s:
        expected, got = _snapshot(s, general), _snapshot(s, bulk)
    assert len(got) == 9 and got == expected
    assert got[("charges", "ch_1")]["customer"] == "cus_1"
    assert got[("charges", "ch_1")]["description"] == TRICKY
    assert got[("charges", "ch_2")]["customer"] is None  # cus_elsewhere belongs to another connection
    assert got[("charges", "ch_2")]["amount_minor"] == 9_000_000_000_000
    assert got[("refunds", "re_1")]["charge"] == "ch_1" and got[("refunds", "re_1")]["action_run_id"] == "run-1"
    assert got[("refunds", "re_2")]["charge"] is None
    assert got[("subscriptions", "sub_1")]["discount_codes"] == ["SAVE20", "ü"]
    assert got[("subscriptions", "sub_1")]["current_period_end"] == WHEN
    assert got[("customers", "cus_1")]["metadata"]["nested"] == {"a": [1, 2, None]}


def test_bulk_replay_updates_in_place_and_keeps_the_action_link(account):
    with transaction() as s:
        conn = _connection(s, account)
        upsert_records(s, conn, _records()[:2], want_ids=False)
        upsert_records(s, conn, _records()[4:5], want_ids=False)
    changed = ChargeRecord(external_id="ch_1", customer_external_id="cus_1", amount=2000, currency="usd",
                           status=ChargeStatus.SUCCEEDED, raw_status="succeeded", amount_captured=2000,
                           amount_refunded=2000, card_brand="visa", card_last4="4242", created_at=WHEN)
    unkeyed = RefundRecord(external_id="re_1", charge_external_id="ch_1", amount=500, currency="usd",
                           status=RefundStatus.SUCCEEDED, raw_status="succeeded")
    first_unkeyed = RefundRecord(external_id="re_3", charge_external_id="ch_1", amount=1, currency="usd",
                                 status=RefundStatus.SUCCEEDED, raw_status="succeeded")
    later_keyed = RefundRecord(external_id="re_3", charge_external_id="ch_1", amount=1, currency="usd",
                               status=RefundStatus.SUCCEEDED, raw_status="succeeded",
                               metadata={"chargedesk_key": "run-3"})
    with transaction() as s:
        upsert_records(s, conn, [changed, changed], want_ids=False)  # a page may repeat an object
        upsert_records(s, conn, [unkeyed, first_unkeyed], want_ids=False)
        upsert_records(s, conn, [later_keyed], want_ids=False)
    with transaction() as s:
        charges = s.scalars(select(Charge).where(Charge.connection_id == conn.id)).all()
        refunds = {r.external_id: r for r in s.scalars(select(Refund).where(Refund.connection_id == conn.id))}
        assert [(c.external_id, c.amount_refunded_minor, c.description) for c in charges] == [("ch_1", 2000, None)]
        assert refunds["re_1"].action_run_id == "run-1"  # a replay without the key keeps the known link
        assert refunds["re_3"].action_run_id == "run-3"  # a link learnt later is filled in
        assert refunds["re_1"].charge_id == refunds["re_3"].charge_id == charges[0].id

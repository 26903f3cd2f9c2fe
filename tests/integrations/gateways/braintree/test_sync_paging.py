"""Resumable listing over created_at windows: ascending, no duplicates, restart-safe."""
from __future__ import annotations

import pytest

from backend.integrations.gateways import build_adapter
from backend.integrations.gateways.braintree.paging import Cursor, InvalidCursor
from backend.integrations.gateways.records import ObjectKind


def walk(adapter, kind, limit, cursor=None, max_pages=50):
    """All pages from `cursor`; returns (records, cursors seen after each page)."""
    records, cursors = [], []
    for _ in range(max_pages):
        page = adapter.list_page(kind, cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        records.extend(page.items)
        cursors.append(page.next_cursor)
        if page.next_cursor is None:
            return records, cursors
        cursor = page.next_cursor
    raise AssertionError("listing did not finish")


@pytest.fixture
def spread_sales(sandbox, make_sale):
    """14 sales: sparse, crowded into one second, hours and days apart."""
    sandbox.freeze_clock()
    ids = [make_sale(f"{10 + i}.00").id for i in range(4)]
    sandbox.advance_clock(5 * 3600)
    ids += [make_sale("20.00").id for _ in range(3)]
    sandbox.advance_clock(2 * 86400)
    ids += [make_sale("30.00", submit=True).id for _ in range(5)]
    sandbox.advance_clock(1)
    ids += [make_sale("40.00").id for _ in range(2)]
    return ids


def test_charges_page_ascending_without_duplicates(adapter, spread_sales):
    records, cursors = walk(adapter, ObjectKind.CHARGE, limit=3)
    ids = [r.external_id for r in records]
    assert sorted(ids) == sorted(spread_sales)
    assert len(ids) == len(set(ids))
    keys = [(r.created_at, r.external_id) for r in records]
    assert keys == sorted(keys)
    assert len(cursors) >= 5


def test_resume_from_a_saved_cursor_after_a_restart(sandbox, adapter, spread_sales):
    first = adapter.list_page(ObjectKind.CHARGE, cursor=None, limit=4)
    second = adapter.list_page(ObjectKind.CHARGE, cursor=first.next_cursor, limit=4)
    saved = second.next_cursor
    restarted = build_adapter("braintree", sandbox.gateway_config())
    rest, _ = walk(restarted, ObjectKind.CHARGE, limit=4, cursor=saved)
    ids = [r.external_id for r in (*first.items, *second.items, *rest)]
    assert len(ids) == len(set(ids)) == len(spread_sales)
    assert set(ids) == set(spread_sales)


def test_a_crowded_second_larger_than_the_page(adapter, sandbox, make_sale):
    sandbox.freeze_clock()
    made = {make_sale("5.00").id for _ in range(7)}
    records, cursors = walk(adapter, ObjectKind.CHARGE, limit=2)
    assert {r.external_id for r in records} == made
    assert len(records) == 7
    assert len({r.created_at for r in records}) == 1
    assert len(Cursor.decode(cursors[-2]).seen) == 6


def test_objects_created_while_paging_are_not_lost(adapter, sandbox, make_sale):
    sandbox.freeze_clock()
    early = [make_sale("5.00").id for _ in range(3)]
    page = adapter.list_page(ObjectKind.CHARGE, cursor=None, limit=2)
    sandbox.advance_clock(10)
    late = make_sale("6.00").id
    rest, _ = walk(adapter, ObjectKind.CHARGE, limit=2, cursor=page.next_cursor)
    assert [r.external_id for r in (*page.items, *rest)][-1] == late
    assert {r.external_id for r in (*page.items, *rest)} == {*early, late}


def test_one_page_when_everything_fits(adapter, make_sale):
    ids = {make_sale().id for _ in range(3)}
    page = adapter.list_page(ObjectKind.CHARGE, cursor=None, limit=10)
    assert {r.external_id for r in page.items} == ids
    assert page.next_cursor is None


def test_refunds_list_separately_from_charges(adapter, sandbox, make_sale):
    sandbox.freeze_clock()
    sales = [make_sale("9.00", submit=True) for _ in range(3)]
    for sale in sales:
        sandbox.settle(sale.id)
        adapter.refund(charge_id=sale.id, amount=100, currency="USD", reason=None, note=None,
                       idempotency_key=f"ref-{sale.id}")
    refunds, _ = walk(adapter, ObjectKind.REFUND, limit=2)
    charges, _ = walk(adapter, ObjectKind.CHARGE, limit=2)
    assert {r.charge_external_id for r in refunds} == {s.id for s in sales}
    assert {c.external_id for c in charges} == {s.id for s in sales}
    assert all(c.amount_refunded == 100 for c in charges)


def test_customers_and_subscriptions_page(adapter, sandbox, make_customer):
    sandbox.freeze_clock()
    customers = [make_customer(email=f"c{i}@example.com") for i in range(5)]
    for i, customer in enumerate(customers[:3]):
        sandbox.advance_clock(60)
        adapter.create_subscription(customer_id=customer.id, price_id="basic_monthly", quantity=1,
                                    trial_days=None, coupon=None, idempotency_key=f"sub-{i}")
    found, _ = walk(adapter, ObjectKind.CUSTOMER, limit=2)
    assert [c.email for c in found] == [c.email for c in sorted(customers, key=lambda c: c.id)]
    subs, _ = walk(adapter, ObjectKind.SUBSCRIPTION, limit=2)
    assert [s.customer_external_id for s in subs] == [c.id for c in customers[:3]]


def test_disputes_page(adapter, sandbox, make_sale):
    sandbox.freeze_clock()
    sales = [make_sale("50.00", submit=True) for _ in range(3)]
    for sale in sales:
        sandbox.advance_clock(1)
        sandbox.open_dispute(sale.id, amount="20.00")
    disputes, cursors = walk(adapter, ObjectKind.DISPUTE, limit=2)
    assert [d.charge_external_id for d in disputes] == [s.id for s in sales]
    assert all(d.amount == 2000 and d.status.value == "needs_response" for d in disputes)
    assert len(cursors) == 2


def test_a_foreign_cursor_is_refused(adapter):
    with pytest.raises(InvalidCursor):
        adapter.list_page(ObjectKind.CHARGE, cursor="page=2", limit=10)

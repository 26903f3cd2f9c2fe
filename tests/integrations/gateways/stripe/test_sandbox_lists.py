"""List pagination (limit, cursors, has_more), filters, events, and the 100,000-charge benchmark path."""
from __future__ import annotations

import time

import pytest
import requests
import stripe

from .test_sandbox_support import API_KEY, client, paid_charge, running_sandbox, sandbox  # noqa: F401


def test_auto_paging_walks_25_objects_in_3_requests_newest_first(client, sandbox):
    created = [client.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(25)]
    before = len(sandbox.request_log)
    seen = [c.id for c in client.v1.customers.list({"limit": 10}).auto_paging_iter()]
    assert seen == created[::-1]
    pages = [entry for entry in sandbox.request_log[before:] if entry[:2] == ("GET", "/v1/customers")]
    assert len(pages) == 3


def test_page_fields_and_cursors(client):
    ids = [client.v1.customers.create({}).id for _ in range(5)]
    first = client.v1.customers.list({"limit": 2})
    assert [c.id for c in first.data] == [ids[4], ids[3]] and first.has_more is True
    assert first.object == "list" and first.url == "/v1/customers"
    last = client.v1.customers.list({"limit": 2, "starting_after": ids[1]})
    assert [c.id for c in last.data] == [ids[0]] and last.has_more is False
    before = client.v1.customers.list({"limit": 2, "ending_before": ids[1]})
    assert [c.id for c in before.data] == [ids[3], ids[2]] and before.has_more is True
    assert client.v1.customers.list().data[0].id == ids[4]


def test_bad_limit_and_unknown_cursor(client):
    with pytest.raises(stripe.InvalidRequestError) as limit:
        client.v1.customers.list({"limit": 101})
    assert limit.value.param == "limit"
    with pytest.raises(stripe.InvalidRequestError) as cursor:
        client.v1.charges.list({"starting_after": "ch_missing"})
    assert cursor.value.http_status == 404 and cursor.value.param == "starting_after"


def test_charge_filters_by_payment_intent_and_created(client):
    one = paid_charge(client)
    two = paid_charge(client)
    assert [c.id for c in client.v1.charges.list({"payment_intent": one.payment_intent}).data] == [one.id]
    assert {c.id for c in client.v1.charges.list({"created": {"gte": one.created}}).data} == {one.id, two.id}
    assert client.v1.charges.list({"created": {"lt": one.created}}).data == []


def test_events_record_state_changes_with_snapshots(client):
    charge = paid_charge(client, 1500)
    client.v1.refunds.create({"charge": charge.id, "amount": 500}, {"idempotency_key": "evt-key"})
    refunded = client.v1.events.list({"type": "charge.refunded"}).data
    assert len(refunded) == 1 and refunded[0].data.object.amount_refunded == 500
    assert refunded[0].data.previous_attributes.amount_refunded == 0
    assert refunded[0].request.idempotency_key == "evt-key" and refunded[0].api_version
    types = [e.type for e in client.v1.events.list({"limit": 100}).auto_paging_iter()][::-1]
    assert types[:3] == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    assert {"refund.created", "charge.refunded"} <= set(types)
    wildcard = client.v1.events.list({"type": "charge.*"}).data
    assert {e.type for e in wildcard} == {"charge.succeeded", "charge.refunded"}
    assert client.v1.events.retrieve(refunded[0].id).type == "charge.refunded"


def test_seed_100k_charges_quickly_and_page_in_o_limit(client, sandbox):
    customer = client.v1.customers.create({"email": "big@example.com"})
    started = time.perf_counter()
    ids = sandbox.seed_charges(customer.id, 100_000, amount=1234, currency="eur")
    assert time.perf_counter() - started < 10
    assert len(ids) == len(set(ids)) == 100_000

    page = client.v1.charges.list({"limit": 100, "customer": customer.id})
    assert [c.id for c in page.data] == ids[::-1][:100] and page.has_more
    assert page.data[0].amount == 1234 and page.data[0].currency == "eur" and page.data[0].captured

    headers = {"Authorization": f"Bearer {API_KEY}"}
    with requests.Session() as http:
        started = time.perf_counter()
        for cursor in (ids[99_000], ids[50_000], ids[101]):
            body = http.get(f"{sandbox.url}/v1/charges", params={"limit": 100, "starting_after": cursor},
                            headers=headers).json()
            assert body["data"][0]["id"] == ids[ids.index(cursor) - 1]
        assert (time.perf_counter() - started) / 3 < 0.25
    tail = client.v1.charges.list({"limit": 100, "starting_after": ids[50]})
    assert len(tail.data) == 50 and tail.has_more is False

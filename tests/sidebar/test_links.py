"""POST /api/v1/sidebar/links: a manual link from a requester email to a customer is remembered."""
from __future__ import annotations

from sqlalchemy import select

from backend.accounts import create_account
from backend.db import session, transaction
from backend.models import AuditEntry, CustomerLink

from .conftest import Mirror, context_of


def _link(client, headers, email, customer_id):
    resp = client.post("/api/v1/sidebar/links", json={"email": email, "customer_id": customer_id}, headers=headers)
    return resp.status_code, resp.get_json()


def test_a_pick_among_several_is_remembered(client, mirror, agent_headers, ctx):
    stripe, braintree = mirror.connection(), mirror.connection(kind="braintree", name="Braintree")
    _, first = mirror.customer(stripe, "sam@example.com")
    _, second = mirror.customer(braintree, "sam@example.com")
    headers = agent_headers()
    status, link = _link(client, headers, "Sam@Example.com", second)
    assert status == 201 and (link["email"], link["customer_id"]) == ("sam@example.com", second)
    _, view = context_of(client, headers, "sam@example.com")
    assert view["selected_id"] == second and view["customer"]["linked"] is True
    assert {m["id"]: m["linked"] for m in view["matches"]} == {first: False, second: True}
    assert _link(client, headers, "sam@example.com", second)[0] == 200  # same pick again: nothing new
    assert _link(client, headers, "sam@example.com", first)[0] == 201  # a new pick replaces the old one
    _, view = context_of(client, headers, "sam@example.com")
    assert view["selected_id"] == first
    rows = session().scalars(select(CustomerLink)).all()
    assert [(r.email, r.customer_id) for r in rows] == [("sam@example.com", first)]
    trail = session().scalars(select(AuditEntry).where(AuditEntry.event == "customer_link.created")
                              .order_by(AuditEntry.seq)).all()
    assert [(e.customer_id, e.details["replaced_customer_ids"]) for e in trail] == [(second, []), (first, [second])]
    assert trail[0].actor["role"] == "agent" and trail[0].source["host"] == "zendesk"


def test_a_link_finds_a_customer_under_another_address(client, mirror, agent_headers):
    conn = mirror.connection()
    _, cus_id = mirror.customer(conn, "billing@company.example")
    headers = agent_headers()
    _, before = context_of(client, headers, "jane@gmail.example")
    assert before["empty"] is not None
    assert _link(client, headers, "jane@gmail.example", cus_id)[0] == 201
    _, after = context_of(client, headers, "jane@gmail.example")
    assert after["selected_id"] == cus_id and after["empty"] is None
    assert after["customer"]["matched_emails"] == ["jane@gmail.example"]


def test_bad_links_are_refused_and_nothing_is_written(client, mirror, agent_headers, ctx):
    conn = mirror.connection()
    _, cus_id = mirror.customer(conn, "ada@example.com")
    with transaction() as s:
        other = create_account(s, name="Other Co", slug="other")
    theirs = Mirror(other)
    _, their_id = theirs.customer(theirs.connection(), "ada@example.com")
    headers = agent_headers()
    status, body = _link(client, headers, "not an email", cus_id)
    assert status == 422 and "not an email" in body["message"]
    status, body = _link(client, headers, "ada@example.com", their_id)
    assert status == 404 and body["errors"]["customer_id"]
    status, body = _link(client, headers, "ada@example.com", None)
    assert status == 422
    status, body = _link(client, agent_headers("viewer"), "ada@example.com", cus_id)
    assert status == 403 and "viewer" in body["message"]
    assert session().scalars(select(CustomerLink)).all() == []
    assert session().scalars(select(AuditEntry).where(AuditEntry.event == "customer_link.created")).all() == []

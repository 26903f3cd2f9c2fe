"""GET /api/v1/sidebar/context: matching, selection, the customer's billing, empty state, errors."""
from __future__ import annotations

from backend.integrations.gateways.records import ChargeStatus, InvoiceStatus

from .conftest import context_of


def test_one_match_is_selected_with_its_billing(client, mirror, agent_headers):
    conn = mirror.connection(name="Main Stripe")
    cus, cus_id = mirror.customer(conn, "ada@example.com", "ada@work.example")
    old, _ = mirror.charge(conn, cus, 2000, refunded=500, days_ago=30)
    new, _ = mirror.charge(conn, cus, 4900, days_ago=1)
    status, view = context_of(client, agent_headers(), " ADA@Work.Example ", ticket="8123")
    assert status == 200
    assert view["query"] == {"emails": ["ada@work.example"], "ticket": "8123", "customer_id": None}
    assert view["selected_id"] == cus_id and view["empty"] is None
    assert [m["id"] for m in view["matches"]] == [cus_id]
    customer = view["customer"]
    assert customer["gateway"] == {"connection_id": conn.id, "kind": "stripe", "name": "Main Stripe"}
    assert customer["matched_emails"] == ["ada@work.example"] and customer["linked"] is False
    assert [c["external_id"] for c in customer["charges"]] == [new, old]  # newest first
    refunded = customer["charges"][1]
    assert (refunded["amount"], refunded["amount_refunded"], refunded["amount_refundable"]) == (2000, 500, 1500)
    assert (refunded["refunded_display"], refunded["refundable_display"]) == ("$5.00", "$15.00")
    assert (refunded["card_brand"], refunded["card_last4"], refunded["status"], refunded["exponent"]) == (
        "visa", "4242", "succeeded", 2)
    assert refunded["created_at"].startswith("2026-04-01")


def test_several_matches_offer_a_chooser_then_the_pick(client, mirror, agent_headers):
    stripe, braintree = mirror.connection(), mirror.connection(kind="braintree", name="Braintree EU")
    _, first = mirror.customer(stripe, "sam@example.com", name="Sam S")
    _, second = mirror.customer(braintree, "sam@example.com", name="Sam B")
    headers = agent_headers()
    status, view = context_of(client, headers, "sam@example.com")
    assert status == 200 and view["customer"] is None and view["selected_id"] is None and view["empty"] is None
    assert {(m["id"], m["gateway"]["kind"]) for m in view["matches"]} == {(first, "stripe"), (second, "braintree")}
    status, picked = context_of(client, headers, "sam@example.com", customer_id=second)
    assert status == 200 and picked["selected_id"] == second and picked["customer"]["name"] == "Sam B"
    assert len(picked["matches"]) == 2


def test_several_requester_emails_are_all_searched(client, mirror, agent_headers):
    conn = mirror.connection()
    _, a = mirror.customer(conn, "one@example.com")
    _, b = mirror.customer(conn, "two@example.com")
    _, view = context_of(client, agent_headers(), "one@example.com", "two@example.com", "nobody@example.com")
    assert {m["id"] for m in view["matches"]} == {a, b}


def test_no_match_is_a_clear_empty_state(client, mirror, agent_headers):
    mirror.customer(mirror.connection(), "ada@example.com")
    status, view = context_of(client, agent_headers(), "who@example.com", "Else@Example.com")
    assert status == 200 and view["customer"] is None and view["matches"] == []
    assert view["empty"]["emails_searched"] == ["who@example.com", "else@example.com"]
    assert "who@example.com" in view["empty"]["message"] and "No billing customer" in view["empty"]["message"]


def test_lifetime_value_per_currency(client, mirror, agent_headers):
    conn = mirror.connection()
    cus, _ = mirror.customer(conn, "ada@example.com")
    mirror.charge(conn, cus, 2000, refunded=500)
    mirror.charge(conn, cus, 4900)
    mirror.charge(conn, cus, 3000, status=ChargeStatus.FAILED)  # never captured: worth nothing
    mirror.charge(conn, cus, 5000, "jpy")
    _, view = context_of(client, agent_headers(), "ada@example.com")
    ltv = {m["currency"]: (m["amount"], m["display"], m["charges"]) for m in view["customer"]["lifetime_value"]}
    assert ltv == {"JPY": (5000, "¥5,000", 1), "USD": (6400, "$64.00", 3)}
    assert view["customer"]["charge_count"] == 4


def test_recent_charges_are_capped_but_counted(client, mirror, agent_headers):
    conn = mirror.connection()
    cus, _ = mirror.customer(conn, "ada@example.com")
    made = [mirror.charge(conn, cus, 100 + i, days_ago=i)[0] for i in range(23)]
    _, view = context_of(client, agent_headers(), "ada@example.com")
    assert [c["external_id"] for c in view["customer"]["charges"]] == made[:20]
    assert view["customer"]["charge_count"] == 23


def test_subscriptions_invoices_tax_ids_and_disputes(client, mirror, agent_headers):
    conn = mirror.connection()
    cus, _ = mirror.customer(conn, "ada@example.com")
    charge, _ = mirror.charge(conn, cus, 2000)
    mirror.subscription(conn, cus, cancel_at_period_end=True)
    open_inv = mirror.invoice(conn, cus, InvoiceStatus.OPEN, days_ago=90)
    paid = [mirror.invoice(conn, cus, InvoiceStatus.PAID, days_ago=d) for d in range(12)]
    mirror.tax_id(conn, cus, "DE999999999")
    mirror.dispute(conn, charge, 2000)
    _, view = context_of(client, agent_headers(), "ada@example.com")
    customer = view["customer"]
    sub = customer["subscriptions"][0]
    assert (sub["plan_name"], sub["status"], sub["amount"], sub["interval"], sub["cancel_at_period_end"]) == (
        "Pro", "active", 4900, "month", True)
    assert sub["next_billing"].startswith("2026-05-21") and sub["amount_display"] == "$49.00"
    assert [i["external_id"] for i in customer["invoices"]["open"]] == [open_inv]
    assert customer["invoices"]["open"][0]["amount_due_display"] == "$49.00"
    assert [i["external_id"] for i in customer["invoices"]["past"]] == paid[:10]
    assert [t["value"] for t in customer["tax_ids"]] == ["DE999999999"]
    assert customer["disputes"][0]["amount"] == 2000 and customer["charges"][0]["disputes"][0]["status"] == "needs_response"


def test_bad_emails_and_missing_input_are_422(client, agent_headers):
    headers = agent_headers()
    status, body = context_of(client, headers, "ada@example.com", "not-an-email")
    assert status == 422 and "not-an-email" in body["message"] and body["errors"]["email"]
    status, body = context_of(client, headers)
    assert status == 422 and "email" in body["message"]
    status, body = context_of(client, headers, *[f"u{i}@example.com" for i in range(21)])
    assert status == 422 and "email" in body["errors"]["query"]
    status, body = context_of(client, headers, "ada@example.com", customer_id="abc")
    assert status == 422 and "customer_id" in body["errors"]["query"]


def test_requires_a_valid_token(client):
    resp = client.get("/api/v1/sidebar/context?email=ada@example.com")
    assert resp.status_code == 401
    resp = client.get("/api/v1/sidebar/context?email=ada@example.com", headers={"Authorization": "Bearer sbt.forged"})
    assert resp.status_code == 401 and resp.get_json()["code"] == 401


def test_api_keys_read_the_context_too(client, mirror, auth_headers):
    conn = mirror.connection()
    _, cus_id = mirror.customer(conn, "ada@example.com")
    status, view = context_of(client, auth_headers, "ada@example.com")
    assert status == 200 and view["selected_id"] == cus_id and view["agent"]["role"] == "owner"

"""Pre-built billing (customer_views): kept after a first view, served after, never stale.

Every write to a customer's mirrored billing must clear its body (the PostgreSQL triggers of
migration 0003), a reader must not keep a body built before a write landed, and a body must
read exactly like a live build, for an agent and for a viewer.
"""
from __future__ import annotations

import uuid

import orjson
import pytest
from sqlalchemy import text

from backend.db import session, transaction
from backend.integrations.gateways.records import InvoiceStatus, SubscriptionStatus
from backend.models import ActionRun, Customer
from backend.sidebar import ContextQuery, build_context, context as context_module
from backend.sidebar import views

from .conftest import context_of


def view_row(customer_id: int):
    with transaction() as s:
        return s.execute(text("SELECT version, body FROM customer_views WHERE customer_id = :c"),
                         {"c": customer_id}).one_or_none()


def seeded(mirror):
    conn = mirror.connection(name="Main Stripe")
    cus, cus_id = mirror.customer(conn, "ada@example.com")
    charge, _ = mirror.charge(conn, cus, 2000)
    return conn, cus, cus_id, charge


def test_a_first_view_keeps_the_body_and_later_views_read_it(client, mirror, agent_headers):
    _, _, cus_id, _ = seeded(mirror)
    headers = agent_headers()
    status, first = context_of(client, headers, "ada@example.com")
    assert status == 200 and first["customer"]["name"] == "Ada"
    row = view_row(cus_id)
    assert row is not None and row.body is not None
    header, runs, customer = row.body.split("\n", 2)
    assert header + "\n" == views.HEADER and orjson.loads(runs) == [] and "gateway" not in orjson.loads(customer)
    customer = orjson.loads(customer) | {"name": "Read from the body"}
    with transaction() as s:  # no trigger on customer_views itself: only the reader's path sees this
        s.execute(text("UPDATE customer_views SET body = :b WHERE customer_id = :c"),
                  {"b": f"{header}\n{runs}\n{orjson.dumps(customer).decode()}", "c": cus_id})
    status, second = context_of(client, headers, "ada@example.com")
    assert status == 200 and second["customer"]["name"] == "Read from the body"


WRITES = {
    "charge": lambda m, conn, cus, charge: m.charge(conn, cus, 777),
    "refund": lambda m, conn, cus, charge: m.refund(conn, charge, 300),
    "dispute": lambda m, conn, cus, charge: m.dispute(conn, charge, 2000),
    "subscription": lambda m, conn, cus, charge: m.subscription(conn, cus, plan="Gold"),
    "invoice": lambda m, conn, cus, charge: m.invoice(conn, cus, InvoiceStatus.OPEN, total=1234),
    "tax_id": lambda m, conn, cus, charge: m.tax_id(conn, cus, "DE111111111"),
}
SEEN = {
    "charge": lambda c: [ch["amount"] for ch in c["charges"]].count(777) == 1,
    "refund": lambda c: c["charges"][0]["amount_refunded"] == 0 and any(
        r["amount"] == 300 for ch in c["charges"] for r in ch["refunds"]),
    "dispute": lambda c: len(c["disputes"]) == 1,
    "subscription": lambda c: [s["plan_name"] for s in c["subscriptions"]] == ["Gold"],
    "invoice": lambda c: [i["total"] for i in c["invoices"]["open"]] == [1234],
    "tax_id": lambda c: [t["value"] for t in c["tax_ids"]] == ["DE111111111"],
}


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_every_write_to_the_customers_billing_clears_its_body(client, mirror, agent_headers, kind):
    conn, cus, cus_id, charge = seeded(mirror)
    headers = agent_headers()
    context_of(client, headers, "ada@example.com")
    before = view_row(cus_id)
    assert before.body is not None
    WRITES[kind](mirror, conn, cus, charge)
    after = view_row(cus_id)
    assert after.body is None and after.version > before.version
    status, view = context_of(client, headers, "ada@example.com")
    assert status == 200 and SEEN[kind](view["customer"])
    assert view_row(cus_id).body is not None  # built again, under the new version


def test_renaming_the_customer_and_a_new_action_run_clear_the_body(client, mirror, agent_headers):
    conn, _, cus_id, _ = seeded(mirror)
    headers = agent_headers()
    context_of(client, headers, "ada@example.com")
    with transaction() as s:
        s.get(Customer, cus_id).name = "Ada Lovelace"
    assert view_row(cus_id).body is None
    assert context_of(client, headers, "ada@example.com")[1]["customer"]["name"] == "Ada Lovelace"
    run_id = str(uuid.uuid4())
    with transaction() as s:
        s.add(ActionRun(id=run_id, account_id=conn.account_id, client_key="k1", kind="refund", status="queued",
                        connection_id=conn.id, target_type="customer", target_id=cus_id, target_external_id="x",
                        customer_id=cus_id))
    assert view_row(cus_id).body is None
    assert [r["id"] for r in context_of(client, headers, "ada@example.com")[1]["runs"]] == [run_id]
    with transaction() as s:
        s.get(ActionRun, run_id).status = "succeeded"
    assert view_row(cus_id).body is None
    assert context_of(client, headers, "ada@example.com")[1]["runs"][0]["status"] == "succeeded"


def test_a_body_built_before_a_write_landed_is_not_kept(ctx, mirror, account):
    conn, cus, cus_id, _ = seeded(mirror)
    read = session().connection().execute(
        text("SELECT c.*, 'stripe' AS gateway_kind, 'Main Stripe' AS gateway_name, "
             "v.version AS view_version, v.body AS view_body "
             "FROM customers c LEFT JOIN customer_views v ON v.customer_id = c.id WHERE c.id = :c"),
        {"c": cus_id}).one()
    session().commit()
    mirror.charge(conn, cus, 999)  # lands after the read: the version moves on
    stale = views.Body(runs="[]", customer='{"name":"stale"}')
    with transaction() as s:
        views.store(s.connection().connection.driver_connection, account.id, read, stale)
    assert view_row(cus_id).body is None


def _billing(principal_role, agent_headers, account, as_json=False):
    """The view as a principal of that role gets it (as JSON would carry it, with as_json)."""
    from backend.auth.sidebar_tokens import principal_for_sidebar_token

    token = agent_headers(principal_role)["Authorization"].split(" ", 1)[1]
    principal = principal_for_sidebar_token(session(), token)
    view = build_context(session(), principal, ContextQuery(emails=("ada@example.com",)), as_json=as_json)
    return orjson.loads(orjson.dumps(view)) if as_json else view


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_a_prebuilt_body_reads_exactly_like_a_live_build(ctx, mirror, agent_headers, account, monkeypatch, role,
                                                         as_json):
    conn, cus, cus_id, charge = seeded(mirror)
    mirror.refund(conn, charge, 500)
    mirror.dispute(conn, charge, 2000)
    mirror.subscription(conn, cus, status=SubscriptionStatus.CANCELED)
    mirror.subscription(conn, cus, cancel_at_period_end=True, plan="Gold")
    mirror.invoice(conn, cus, InvoiceStatus.OPEN)
    mirror.invoice(conn, cus, InvoiceStatus.PAID, days_ago=40)
    mirror.tax_id(conn, cus)
    other = "viewer" if role == "agent" else "agent"
    _billing(other, agent_headers, account)  # the body is built on someone else's view
    session().commit()
    assert view_row(cus_id).body is not None
    prebuilt = _billing(role, agent_headers, account, as_json)
    monkeypatch.setattr(context_module.views, "enabled", lambda _dialect: False)
    live = _billing(role, agent_headers, account)
    assert prebuilt["customer"] == live["customer"] and prebuilt["runs"] == live["runs"]
    actions = prebuilt["customer"]["charges"][0]["actions"]
    assert (actions != []) == (role == "agent")


def test_a_body_of_another_format_is_rebuilt(client, mirror, agent_headers):
    _, _, cus_id, _ = seeded(mirror)
    headers = agent_headers()
    context_of(client, headers, "ada@example.com")
    with transaction() as s:
        s.execute(text("""UPDATE customer_views SET body = '{"format": 0, "customer": {}}' WHERE customer_id = :c"""),
                  {"c": cus_id})
    status, view = context_of(client, headers, "ada@example.com")
    assert status == 200 and view["customer"]["name"] == "Ada"
    assert view_row(cus_id).body.startswith(views.HEADER)


@pytest.mark.parametrize("emails", [("ada@example.com",), ("ada@example.com", "ada@work.example")])
def test_a_disabled_agent_or_a_disconnected_installation_reads_nothing(client, mirror, agent_headers, emails):
    """The agent's check rides in the same round trip as the reads; its failure is a 401, no data."""
    from datetime import datetime, timezone

    from backend.models import HelpdeskInstallation, User

    seeded(mirror)
    for change in ("user", "installation"):
        headers = agent_headers()
        assert context_of(client, headers, *emails)[0] == 200
        with transaction() as s:
            if change == "user":
                s.query(User).filter(User.role == "agent").update({"disabled_at": datetime.now(timezone.utc)})
            else:
                s.query(HelpdeskInstallation).update({"status": "disconnected"})
        status, body = context_of(client, headers, *emails)
        assert status == 401 and "customer" not in body and body["message"]


def test_no_match_is_an_empty_state_on_the_one_statement_path(client, mirror, agent_headers):
    seeded(mirror)
    status, view = context_of(client, agent_headers(), "nobody@example.com")
    assert status == 200 and view["matches"] == [] and view["customer"] is None
    assert "nobody@example.com" in view["empty"]["message"] and view["agent"]["role"] == "agent"


def test_the_context_query_parameters_stay_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/v1/sidebar/context"]["get"]["parameters"]}
    assert {"email", "ticket", "customer_id"} <= params


def test_out_of_range_customer_id_is_422_not_a_database_error(client, mirror, agent_headers):
    seeded(mirror)
    for bad in ("0", "-3", "9" * 30, "1.5", "١٢"):
        status, body = context_of(client, agent_headers(), "ada@example.com", customer_id=bad)
        assert status == 422 and "customer_id" in body["errors"]["query"], bad

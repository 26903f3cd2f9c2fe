"""The context's "external" marks, recent runs, allowed actions per role, tenant scoping, query budget."""
from __future__ import annotations

import importlib.util
import uuid

import pytest
from backend.accounts import create_account
from backend.db import transaction
from backend.integrations.gateways.records import SubscriptionStatus
from backend.models import ActionRun

from .conftest import Mirror, context_of

ACTIONS_PRESENT = importlib.util.find_spec("backend.actions.permissions") is not None


def _run(conn, customer_id, *, kind, target_type, target_id, status="succeeded", params=None, error=None) -> str:
    run_id = str(uuid.uuid4())
    with transaction() as s:
        s.add(ActionRun(id=run_id, account_id=conn.account_id, client_key=run_id, kind=kind, status=status,
                        connection_id=conn.id, target_type=target_type, target_id=target_id,
                        target_external_id=f"x_{target_id}", customer_id=customer_id, params=params or {},
                        error_message=error, principal={"name": "Alex Agent"}))
    return run_id


def test_refunds_made_outside_the_product_are_external(client, mirror, agent_headers):
    conn = mirror.connection()
    cus, cus_id = mirror.customer(conn, "ada@example.com")
    ours_charge, ours_charge_id = mirror.charge(conn, cus, 2000, refunded=500, days_ago=1)
    theirs_charge, _ = mirror.charge(conn, cus, 3000, refunded=1000, days_ago=2)
    run_id = _run(conn, cus_id, kind="refund", target_type="charge", target_id=ours_charge_id,
                  params={"amount": 500, "currency": "USD"})
    mirror.refund(conn, ours_charge, 500, run_id=run_id)
    mirror.refund(conn, theirs_charge, 1000)
    _, view = context_of(client, agent_headers(), "ada@example.com")
    ours, theirs = view["customer"]["charges"]
    assert [r["external"] for r in ours["refunds"]] == [False] and ours["external"] is False
    assert [r["external"] for r in theirs["refunds"]] == [True]
    assert theirs["external"] is True and theirs["external_refunded"] == 1000
    assert view["runs"][0]["id"] == run_id and view["runs"][0]["amount_display"] == "$5.00"


def test_cancellations_without_our_cancel_run_are_external(client, mirror, agent_headers):
    conn = mirror.connection()
    cus, cus_id = mirror.customer(conn, "ada@example.com")
    _, ours = mirror.subscription(conn, cus, status=SubscriptionStatus.CANCELED, plan="Ours")
    _, theirs = mirror.subscription(conn, cus, cancel_at_period_end=True, plan="Theirs")
    _, active = mirror.subscription(conn, cus, plan="Active")
    _run(conn, cus_id, kind="cancel_subscription", target_type="subscription", target_id=ours)
    _run(conn, cus_id, kind="cancel_subscription", target_type="subscription", target_id=theirs, status="failed",
         error="card declined")
    _, view = context_of(client, agent_headers(), "ada@example.com")
    marks = {s["plan_name"]: (s["cancellation"], s["external"]) for s in view["customer"]["subscriptions"]}
    assert marks == {"Ours": ("canceled", False), "Theirs": ("cancel_at_period_end", True), "Active": (None, False)}
    failed = [r for r in view["runs"] if r["status"] == "failed"]
    assert failed[0]["error_message"] == "card declined" and failed[0]["requested_by"] == "Alex Agent"


def _all_actions(view) -> list:
    customer = view["customer"]
    lists = [customer["actions"]] + [c["actions"] for c in customer["charges"]]
    lists += [s["actions"] for s in customer["subscriptions"]]
    lists += [i["actions"] for i in customer["invoices"]["open"] + customer["invoices"]["past"]]
    return lists


def _billing_with_everything(mirror):
    conn = mirror.connection()
    cus, _ = mirror.customer(conn, "ada@example.com")
    mirror.charge(conn, cus, 2000)
    mirror.subscription(conn, cus)
    from backend.integrations.gateways.records import InvoiceStatus
    mirror.invoice(conn, cus, InvoiceStatus.OPEN)


def test_a_viewer_is_offered_no_action(client, mirror, agent_headers):
    _billing_with_everything(mirror)
    _, view = context_of(client, agent_headers("viewer"), "ada@example.com")
    assert view["agent"]["role"] == "viewer" and view["agent"]["can_act"] is False
    lists = _all_actions(view)
    assert len(lists) == 4 and all(actions == [] for actions in lists)


@pytest.mark.skipif(not ACTIONS_PRESENT, reason="backend.actions.permissions (the actions pipeline) is not built yet")
def test_an_agent_is_offered_what_the_rules_allow(client, mirror, agent_headers):
    _billing_with_everything(mirror)
    _, agent_view = context_of(client, agent_headers("agent"), "ada@example.com")
    charge = agent_view["customer"]["charges"][0]
    assert "refund" in charge["actions"]
    sub = agent_view["customer"]["subscriptions"][0]
    assert any(a.startswith("cancel") for a in sub["actions"])


def test_another_accounts_customers_never_appear(client, mirror, agent_headers, account):
    mine = mirror.connection()
    _, my_id = mirror.customer(mine, "shared@example.com")
    with transaction() as s:
        other = create_account(s, name="Other Co", slug="other")
    theirs = Mirror(other)
    _, their_id = theirs.customer(theirs.connection(), "shared@example.com")
    headers = agent_headers()
    _, view = context_of(client, headers, "shared@example.com")
    assert [m["id"] for m in view["matches"]] == [my_id] and view["selected_id"] == my_id
    status, body = context_of(client, headers, "shared@example.com", customer_id=their_id)
    assert status == 404 and str(their_id) in body["message"]
    _, their_view = context_of(client, agent_headers(acct=other), "shared@example.com")
    assert [m["id"] for m in their_view["matches"]] == [their_id]


def _reads_for(client, headers, monkeypatch, *emails) -> list[tuple[str, ...]]:
    """The batches of statements one context request ran (each batch is one round trip on PostgreSQL)."""
    from backend.sidebar import batch

    seen = []
    with monkeypatch.context() as patch:
        for reader in (batch.SessionReader, batch.PgReader):
            def spy(self, wanted, _fetch=reader.fetch):
                seen.append(tuple(sorted(wanted)))
                return _fetch(self, wanted)

            patch.setattr(reader, "fetch", spy)
        status, _ = context_of(client, headers, *emails)
    assert status == 200
    return seen


def test_reads_do_not_grow_with_the_customers_history(client, mirror, agent_headers, monkeypatch):
    conn = mirror.connection()
    small, _ = mirror.customer(conn, "small@example.com")
    big, _ = mirror.customer(conn, "big@example.com")
    mirror.charge(conn, small, 1000)
    for i in range(30):
        charge, _ = mirror.charge(conn, big, 1000 + i, refunded=100, days_ago=i)
        mirror.refund(conn, charge, 100)
        mirror.subscription(conn, big, status=SubscriptionStatus.CANCELED)
    headers = agent_headers()
    few = _reads_for(client, headers, monkeypatch, "small@example.com")
    many = _reads_for(client, headers, monkeypatch, "big@example.com")
    # A first view: the agent's check, the account and who matches in one statement; then one batch
    # for all of the billing.
    assert few == many and len(many) == 2 and many[0] == ("opening",)
    assert set(many[1]) == {"charges", "totals", "refunds", "disputes", "subscriptions", "invoices", "tax_ids",
                            "runs", "canceled"}
    # Later views read the billing built then: one round trip in all.
    assert _reads_for(client, headers, monkeypatch, "big@example.com") == [many[0]]


def test_pipelined_and_plain_reads_build_the_same_view(mirror, agent_headers, account, ctx):
    from backend.auth.sidebar_tokens import principal_for_sidebar_token
    from backend.db import session
    from backend.sidebar import ContextQuery, build_context

    conn = mirror.connection()
    cus, cus_id = mirror.customer(conn, "ada@example.com", "ada@work.example")
    charge, _ = mirror.charge(conn, cus, 2000, refunded=500)
    mirror.refund(conn, charge, 500)
    mirror.subscription(conn, cus, status=SubscriptionStatus.CANCELED)
    mirror.dispute(conn, charge, 2000)
    principal = principal_for_sidebar_token(session(), agent_headers()["Authorization"].split()[1])
    for query in (ContextQuery(emails=("ada@work.example",)), ContextQuery(emails=("x@y.example",), customer_id=cus_id)):
        piped = build_context(session(), principal, query, pipeline=True)
        plain = build_context(session(), principal, query, pipeline=False)
        assert piped == plain and piped["customer"]["charges"][0]["refunds"]

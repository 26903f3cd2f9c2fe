"""Refund limits: above the limit a refund waits; an owner/admin approves (executed once) or rejects."""
import pytest

from backend.accounts import update_account_settings, update_user
from backend.db import transaction
from backend.models import Charge, User
from tests.actions.conftest import audit_events, row, run_row, settle, wait_status


@pytest.fixture
def charge(shop, mirror):
    charge_id = shop.charge(shop.customer(), 5000)
    mirror()
    return row(Charge, external_id=charge_id)


def test_agent_above_limit_waits_then_approval_executes_once(ctx, account, shop, charge, act, client, auth_headers,
                                                             sidebar_agent, rq_worker):
    agent = sidebar_agent("agent", refund_limit_minor=1000)
    rq_worker()
    resp = act("refund", charge.id, headers=agent.headers, params={"amount": 2500}, reason="requested_by_customer")
    assert resp.status_code == 202 and resp.json["status"] == "pending_approval"
    assert "above your refund limit of $10.00" in resp.json["result"]["pending_reason"]
    run_id = resp.json["id"]
    settle(1)
    assert shop.refunds_of(charge.external_id) == [] and run_row(run_id).status == "pending_approval"

    assert client.post(f"/api/v1/actions/{run_id}/approve", json={"note": "ok"}, headers=agent.headers).status_code == 403
    approved = client.post(f"/api/v1/actions/{run_id}/approve", json={"note": "loyal customer"}, headers=auth_headers)
    assert approved.status_code == 200 and approved.json["decision"]["note"] == "loyal customer"
    again = client.post(f"/api/v1/actions/{run_id}/approve", json={}, headers=auth_headers)
    assert again.status_code == 409
    done = wait_status(run_id, "succeeded")
    assert done.requested_by_user_id == agent.user_id and done.decided_by_user_id is not None
    assert [r["amount"] for r in shop.refunds_of(charge.external_id)] == [2500]
    assert audit_events(account.id, run_id) == [
        "action.requested", "action.pending_approval", "action.approved", "action.started", "action.succeeded"]


def test_rejected_refund_never_executes(ctx, account, shop, charge, act, client, auth_headers, sidebar_agent,
                                        rq_worker):
    agent = sidebar_agent("agent", refund_limit_minor=1000)
    rq_worker()
    run_id = act("refund", charge.id, headers=agent.headers, params={"amount": 4000}, reason="fraudulent").json["id"]
    rejected = client.post(f"/api/v1/actions/{run_id}/reject", json={"note": "not ours to refund"}, headers=auth_headers)
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert client.post(f"/api/v1/actions/{run_id}/approve", json={}, headers=auth_headers).status_code == 409
    settle(1.5)
    assert run_row(run_id).status == "rejected" and shop.refunds_of(charge.external_id) == []
    assert shop.posts("/v1/refunds") == []
    assert audit_events(account.id, run_id)[-1] == "action.rejected"


def test_within_limit_goes_straight_to_the_queue(ctx, account, charge, act, sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=1000)
    resp = act("refund", charge.id, headers=agent.headers, params={"amount": 1000}, reason="duplicate")
    assert resp.json["status"] == "queued" and resp.json["requested_by"]["kind"] == "sidebar"
    assert resp.json["requested_by"]["helpdesk"]["external_user_id"] == "zd-42"


def test_account_default_applies_to_agents_without_a_limit(ctx, account, charge, act, sidebar_agent):
    agent = sidebar_agent("agent")
    assert act("refund", charge.id, headers=agent.headers, params={"amount": 900},
               reason="duplicate").json["status"] == "queued"
    with transaction() as s:
        update_account_settings(s, account, {"agent_refund_limit_minor": 500})
    assert act("refund", charge.id, headers=agent.headers, params={"amount": 900},
               reason="duplicate").json["status"] == "pending_approval"


def test_admins_are_unlimited_unless_given_a_limit(ctx, account, charge, act, sidebar_agent):
    admin = sidebar_agent("admin")
    assert act("refund", charge.id, headers=admin.headers, params={"amount": 4000},
               reason="duplicate").json["status"] == "queued"
    with transaction() as s:
        update_user(s, account, s.get(User, admin.user_id), refund_limit_minor=100)
    assert act("refund", charge.id, headers=admin.headers, params={"amount": 200},
               reason="duplicate").json["status"] == "pending_approval"


def test_foreign_currency_refund_by_a_limited_user_waits(ctx, account, shop, mirror, act, sidebar_agent):
    eur = shop.charge(shop.customer("eu@example.com"), 300, "eur")
    mirror()
    agent = sidebar_agent("agent", refund_limit_minor=100_000)
    resp = act("refund", row(Charge, external_id=eur).id, headers=agent.headers, reason="duplicate")
    assert resp.json["status"] == "pending_approval"
    assert "no exchange rates" in resp.json["result"]["pending_reason"]


def test_nobody_approves_their_own_request(ctx, account, charge, act, client, sidebar_agent):
    admin = sidebar_agent("admin", refund_limit_minor=100)
    run_id = act("refund", charge.id, headers=admin.headers, params={"amount": 200}, reason="duplicate").json["id"]
    own = client.post(f"/api/v1/actions/{run_id}/approve", json={}, headers=admin.headers)
    assert own.status_code == 403 and "your own request" in own.json["message"]
    other_admin = sidebar_agent("admin", name="Second Admin")
    assert client.post(f"/api/v1/actions/{run_id}/reject", json={"note": "no"},
                       headers=other_admin.headers).status_code == 200


def test_pending_approvals_are_listed(ctx, account, charge, act, client, auth_headers, sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=10)
    run_id = act("refund", charge.id, headers=agent.headers, params={"amount": 20}, reason="duplicate").json["id"]
    act("refund", charge.id, params={"amount": 20}, reason="duplicate")  # the owner's: queued
    listed = client.get("/api/v1/actions?status=pending_approval", headers=auth_headers).json["data"]
    assert [r["id"] for r in listed] == [run_id]

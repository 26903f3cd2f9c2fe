"""Refund limits: above the limit a refund waits; an owner/admin approves (executed once) or rejects."""
from types import SimpleNamespace

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


# --- the app key rule: a key swapped by X cannot open a session that approves X's requests ------------

def _zendesk_key_swap_setup(account):
    """Owner X (personal limit $10) and owner Y (Zendesk user 900) on a Zendesk installation; X then
    replaces the app public key with one whose private half X holds."""
    import jwt

    from backend.accounts import add_user
    from backend.integrations.helpdesks.zendesk.app_keys import update_zendesk_app
    from backend.admin.auth import AdminViewer
    from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair, signed_url_claims
    from backend.models import Account, AgentIdentity, HelpdeskInstallation

    zendesk_private, zendesk_public = new_key_pair()
    with transaction() as s:
        x = add_user(s, account, email="xavier@acme.test", role="owner", name="Xavier", refund_limit_minor=1000)
        y = add_user(s, account, email="yolanda@acme.test", role="owner", name="Yolanda")
        inst = HelpdeskInstallation(account_id=account.id, kind="zendesk", external_id="acme-keys", status="active",
                                    settings={"app_installation_id": "1001", "public_key_pem": zendesk_public})
        s.add(inst)
        s.flush()
        s.add(AgentIdentity(account_id=account.id, user_id=y.id, installation_id=inst.id, external_user_id="900"))
        ids = (x.id, y.id, inst.id)
    x_private, x_public = new_key_pair()
    with transaction() as s:
        viewer = AdminViewer(s.get(User, ids[0]), s.get(Account, account.id))
        update_zendesk_app(s, viewer, ids[2], app_installation_id="1001", public_key_pem=x_public,
                           support_email=None, source={"via": "test"})

    def sidebar_token_signed_with(private_pem: str, zendesk_user_id: int) -> str:
        import re

        claims = signed_url_claims(subdomain="acme-keys", app_installation_id="1001", user_id=zendesk_user_id)
        page = client_of_app().post("/sidebar/zendesk", data={"token": jwt.encode(claims, private_pem, "RS256")})
        assert page.status_code == 200, page.text
        return re.search(r"sbt\.[A-Za-z0-9_\-\.]+", page.text).group(0)

    return SimpleNamespace(x=ids[0], y=ids[1], installation_id=ids[2], x_private=x_private,
                           sidebar_token=sidebar_token_signed_with)


def client_of_app():
    from flask import current_app

    return current_app.test_client()


def _mint_for(account, user_id: int, installation_id: int) -> dict:
    from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token

    token = mint_sidebar_token(SidebarClaims(account_id=account.id, installation_id=installation_id,
                                             user_id=user_id, host="zendesk", external_user_id="800"))
    return {"Authorization": f"Bearer {token}"}


def test_a_session_opened_under_a_key_the_requester_swapped_cannot_approve_their_refund(
        ctx, account, charge, act, client, shop):
    setup = _zendesk_key_swap_setup(account)
    x_headers = _mint_for(account, setup.x, setup.installation_id)
    run_id = act("refund", charge.id, headers=x_headers, params={"amount": 2500},
                 reason="requested_by_customer").json["id"]
    assert run_row(run_id).status == "pending_approval"

    # X signs a sidebar load as owner Y with the key X installed: the load is accepted (it is X's key) ...
    as_y = {"Authorization": f"Bearer {setup.sidebar_token(setup.x_private, 900)}"}
    approved = client.post(f"/api/v1/actions/{run_id}/approve", json={"note": "fine"}, headers=as_y)
    # ... but the session it opens cannot approve X's request
    assert approved.status_code == 403 and "changed less than 24 hours" in approved.get_json()["message"]
    assert run_row(run_id).status == "pending_approval" and shop.refunds_of(charge.external_id) == []
    assert "action.approved" not in audit_events(account.id, run_id)


def test_the_rule_is_narrow_other_requesters_and_older_keys_are_approvable(ctx, account, charge, act, client):
    from backend.models import HelpdeskInstallation

    setup = _zendesk_key_swap_setup(account)
    agent_headers = _mint_for(account, _agent_with_limit(account), setup.installation_id)
    other_run = act("refund", charge.id, headers=agent_headers, params={"amount": 1500}, reason="duplicate").json["id"]
    as_y = {"Authorization": f"Bearer {setup.sidebar_token(setup.x_private, 900)}"}
    assert client.post(f"/api/v1/actions/{other_run}/approve", json={}, headers=as_y).status_code == 200

    x_run = act("refund", charge.id, headers=_mint_for(account, setup.x, setup.installation_id),
                params={"amount": 1200}, reason="duplicate").json["id"]
    with transaction() as s:  # the change is now more than a day old
        inst = s.get(HelpdeskInstallation, setup.installation_id)
        inst.settings = {**inst.settings, "host_key": {**inst.settings["host_key"],
                                                       "changed_at": inst.settings["host_key"]["changed_at"] - 90000}}
    as_y_later = {"Authorization": f"Bearer {setup.sidebar_token(setup.x_private, 900)}"}
    assert client.post(f"/api/v1/actions/{x_run}/approve", json={}, headers=as_y_later).status_code == 200


def _agent_with_limit(account) -> int:
    from backend.accounts import add_user

    with transaction() as s:
        return add_user(s, account, email="al@acme.test", role="agent", name="Al", refund_limit_minor=1000).id

"""Read-only sidebar tokens (a helpdesk user nobody has linked yet): the billing context, nothing else."""
from __future__ import annotations

import pytest

from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token, read_sidebar_token
from backend.db import transaction
from backend.models import ActionRun, HelpdeskInstallation

from .test_hot_path import PATH, both, paths  # noqa: F401 - the fixture is used by name

LINK_LINE = "Ask an admin to link your account to take actions."


@pytest.fixture
def billing(mirror):
    stripe = mirror.connection(name="Main Stripe")
    cus, ada = mirror.customer(stripe, "ada@example.com")
    charge, _ = mirror.charge(stripe, cus, 2000)
    mirror.subscription(stripe, cus, plan="Gold")
    return {"ada": ada, "charge": charge}


@pytest.fixture
def viewer(account):
    """(installation, Authorization headers of a read-only token for Zendesk user 4242 of it)."""
    with transaction() as s:
        inst = HelpdeskInstallation(account_id=account.id, kind="zendesk", external_id="acme-viewer")
        s.add(inst)
        s.flush()
    claims = SidebarClaims(account_id=account.id, installation_id=inst.id, user_id=None, host="zendesk",
                           external_user_id="4242")
    return inst, {"Authorization": f"Bearer {mint_sidebar_token(claims)}"}


def test_the_token_carries_no_user_and_reads_back_as_read_only(viewer, account):
    inst, headers = viewer
    claims = read_sidebar_token(headers["Authorization"][len("Bearer "):])
    assert claims.read_only and claims.user_id is None
    assert (claims.account_id, claims.installation_id, claims.host, claims.external_user_id) == (
        account.id, inst.id, "zendesk", "4242")


def test_both_paths_serve_billing_without_actions(paths, billing, viewer, agent_headers):  # noqa: F811
    _, _, handed_over = paths
    _, headers = viewer
    status, content_type, *_, body = both(paths, "email=ada@example.com&ticket=9", headers)
    assert status == 200 and content_type == "application/json"
    assert handed_over == [], "the hot path answers a read-only view itself"
    import orjson

    view = orjson.loads(body)
    assert view["agent"]["can_act"] is False and view["agent"]["role"] == "viewer"
    assert view["selected_id"] == billing["ada"]
    charges = view["customer"]["charges"]
    assert [c["external_id"] for c in charges] == [billing["charge"]]
    assert all(not c.get("actions") for c in charges)
    assert all(not s.get("actions") for s in view["customer"]["subscriptions"])
    assert view["agent"]["refund_allowance"] is None
    # The same customer for an agent does offer actions: the difference is the token.
    agent_view = orjson.loads(both(paths, "email=ada@example.com", agent_headers())[-1])
    assert agent_view["customer"]["charges"][0]["actions"]


def test_a_disconnected_or_mismatched_installation_refuses_the_token(paths, billing, viewer, account):  # noqa: F811
    inst, headers = viewer
    with transaction() as s:
        s.get(HelpdeskInstallation, inst.id).status = "reconnect_required"
    status, *_ , body = both(paths, "email=ada@example.com", headers)
    assert status == 401 and b"Invalid" in body
    with transaction() as s:
        s.get(HelpdeskInstallation, inst.id).status = "active"
    other_host = SidebarClaims(account_id=account.id, installation_id=inst.id, user_id=None, host="helpscout",
                               external_user_id="4242")
    forged_kind = {"Authorization": f"Bearer {mint_sidebar_token(other_host)}"}
    assert both(paths, "email=ada@example.com", forged_kind)[0] == 401
    assert both(paths, "email=ada@example.com", headers)[0] == 200


def test_every_other_api_refuses_the_token_with_403(client, billing, viewer, account):
    _, headers = viewer
    body = {"kind": "refund", "target_type": "charge", "target_id": billing["charge"], "amount": 500,
            "reason": "duplicate", "idempotency_key": "viewer-try-1", "ticket": "9"}
    resp = client.post("/api/v1/actions", json=body, headers=headers)
    assert resp.status_code == 403, resp.text
    assert LINK_LINE in resp.get_json()["message"]
    for method, url, payload in [("post", "/api/v1/sidebar/links", {"email": "x@example.com", "customer_id": billing["ada"]}),
                                 ("get", "/api/v1/actions", None), ("get", "/api/v1/customers", None),
                                 ("get", "/api/v1/audit", None), ("get", "/api/v1/account", None),
                                 ("get", "/api/v1/documents", None)]:
        resp = getattr(client, method)(url, json=payload, headers=headers)
        assert resp.status_code == 403, (url, resp.status_code)
        assert LINK_LINE in resp.get_json()["message"], url
    from backend.db import session

    assert session().query(ActionRun).count() == 0

"""An agent nobody has linked yet, on an installation without OAuth tokens: the billing summary in
the browser, read-only (no action or link buttons) with the line that says what to do."""
from __future__ import annotations

import pytest
from sqlalchemy import delete

from backend.accounts import add_user
from backend.db import transaction
from backend.models import AgentIdentity
from sidebar_apps.zendesk.demo_host import seed_zendesk_demo
from tests.sidebar.conftest import Mirror

pytestmark = pytest.mark.e2e


@pytest.fixture
def harness(account, ctx):
    """Corp has a $99.00 charge; Nina is a Zendesk agent of the harness whose identity is not linked."""
    mirror = Mirror(account)
    stripe = mirror.connection(name="Stripe")
    corp, _ = mirror.customer(stripe, "billing@corp.example", name="Corp Billing")
    mirror.charge(stripe, corp, 9900)
    tickets = [{"id": 3, "subject": "Invoice question",
                "requester": {"id": 3, "email": "billing@corp.example", "name": "Corp"}}]
    with transaction() as s:
        nina = add_user(s, account, email="nina@acme.test", role="agent", name="Nina New")
        seeded = seed_zendesk_demo(s, account, subdomain="acme-readonly", tickets=tickets)
        zendesk_id = next(a["id"] for a in seeded["agents"] if a["user_id"] == nina.id)
        s.execute(delete(AgentIdentity).where(AgentIdentity.external_user_id == str(zendesk_id)))
    return {"installation_id": seeded["installation_id"], "unlinked": zendesk_id}


def test_an_unlinked_agent_sees_billing_without_buttons(page, live_server, harness, artifacts):
    page.goto(f"{live_server}/demo/zendesk/{harness['installation_id']}/tickets/3?agent={harness['unlinked']}")
    sidebar = page.frame_locator("#zaf-app")
    sidebar.locator("#cd-app[data-state=customer]").wait_for(timeout=15_000)
    assert "Corp Billing" in sidebar.locator(".cd-customer").inner_text()
    assert "$99.00" in sidebar.locator("li[data-type=charge]").first.inner_text()
    assert "Ask an admin to link your account to take actions" in sidebar.locator(".cd-readonly").inner_text()
    assert sidebar.locator("button[data-action]").count() == 0
    assert sidebar.locator("button[data-link]").count() == 0
    page.screenshot(path=str(artifacts / "zendesk_sidebar_read_only.png"), full_page=True)

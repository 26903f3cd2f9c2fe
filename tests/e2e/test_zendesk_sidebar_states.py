"""The sidebar's other states in the browser: the chooser and a remembered pick, the empty state
and a search-and-link, a viewer without buttons, and hostile data rendered as text."""
from __future__ import annotations

import pytest

from backend.accounts import add_user
from backend.db import transaction
from sidebar_apps.zendesk.demo_host import seed_zendesk_demo
from tests.sidebar.conftest import Mirror

pytestmark = pytest.mark.e2e
XSS_NAME = '<img src=x onerror="document.title=\'pwned\'">Sam'


@pytest.fixture
def harness(account, ctx):
    """Two customers share sam@example.com (one named with markup), billing@corp.example is known, a stranger is not."""
    mirror = Mirror(account)
    stripe, braintree = mirror.connection(name="Stripe"), mirror.connection(kind="braintree", name="Braintree EU")
    sam_s, _ = mirror.customer(stripe, "sam@example.com", name=XSS_NAME)
    sam_b, sam_b_id = mirror.customer(braintree, "sam@example.com", name="Sam Braintree")
    mirror.charge(stripe, sam_s, 1500)
    mirror.charge(braintree, sam_b, 2500, "eur")
    corp, corp_id = mirror.customer(stripe, "billing@corp.example", name="Corp Billing")
    mirror.charge(stripe, corp, 9900)
    tickets = [{"id": 1, "subject": "Which account?", "requester": {"id": 1, "email": "sam@example.com", "name": "Sam"}},
               {"id": 2, "subject": "Refund please", "requester": {"id": 2, "email": "jane@gmail.example", "name": "Jane"}}]
    with transaction() as s:
        agent = add_user(s, account, email="alex@acme.test", role="agent", name="Alex Agent")
        viewer = add_user(s, account, email="val@acme.test", role="viewer", name="Val Viewer")
        seeded = seed_zendesk_demo(s, account, subdomain="acme-states", tickets=tickets)
    ids = {a["user_id"]: a["id"] for a in seeded["agents"]}
    return {"installation_id": seeded["installation_id"], "agent": ids[agent.id], "viewer": ids[viewer.id],
            "sam_b": sam_b_id, "corp": corp_id}


def _open(page, live_server, harness, ticket: int, who: str = "agent"):
    page.goto(f"{live_server}/demo/zendesk/{harness['installation_id']}/tickets/{ticket}?agent={harness[who]}")
    sidebar = page.frame_locator("#zaf-app")
    sidebar.locator("#cd-app[data-state]:not([data-state=''])").wait_for(timeout=15_000)
    return sidebar


def test_the_chooser_and_a_remembered_pick(page, live_server, harness, artifacts):
    sidebar = _open(page, live_server, harness, 1)
    assert sidebar.locator("#cd-app").get_attribute("data-state") == "chooser"
    assert sidebar.locator("li[data-customer]").count() == 2
    assert XSS_NAME in sidebar.locator(".cd-chooser").inner_text()  # shown as text, never as markup
    assert sidebar.locator("img").count() == 0 and page.title() != "pwned"
    page.screenshot(path=str(artifacts / "zendesk_sidebar_chooser.png"), full_page=True)
    sidebar.locator(f"li[data-customer='{harness['sam_b']}'] button").click()
    sidebar.locator("#cd-app[data-state=customer]").wait_for()
    assert "Sam Braintree" in sidebar.locator(".cd-customer").inner_text()
    assert "€25.00" in sidebar.locator("[data-ltv]").inner_text()

    again = _open(page, live_server, harness, 1)  # the next ticket from Sam opens on the pick
    again.locator("#cd-app[data-state=customer]").wait_for()
    assert "Sam Braintree" in again.locator(".cd-customer").inner_text()
    assert "Linked" in again.locator(".cd-customer").inner_text()


def test_empty_state_then_search_and_link(page, live_server, harness, artifacts):
    sidebar = _open(page, live_server, harness, 2)
    assert sidebar.locator("#cd-app").get_attribute("data-state") == "empty"
    empty = sidebar.locator(".cd-empty")
    assert "No billing customer found" in empty.inner_text() and "jane@gmail.example" in empty.inner_text()
    page.screenshot(path=str(artifacts / "zendesk_sidebar_empty.png"), full_page=True)
    empty.locator("input[type=email]").fill("billing@corp.example")
    empty.locator("button[type=submit]").click()
    sidebar.locator(f"button[data-link='{harness['corp']}']").click()
    sidebar.locator(".cd-flash--green").wait_for()
    assert "Linked jane@gmail.example" in sidebar.locator(".cd-flash--green").inner_text()
    assert "Corp Billing" in sidebar.locator(".cd-customer").inner_text()
    assert sidebar.locator(".cd-searching").count() == 0  # back on the requester, now linked


def test_a_viewer_sees_billing_but_no_buttons(page, live_server, harness):
    sidebar = _open(page, live_server, harness, 2, who="viewer")
    sidebar.locator(".cd-empty input[type=email]").fill("billing@corp.example")
    sidebar.locator(".cd-empty button[type=submit]").click()
    sidebar.locator("li[data-type=charge]").first.wait_for()
    assert "$99.00" in sidebar.locator("li[data-type=charge]").first.inner_text()
    assert sidebar.locator("button[data-action]").count() == 0
    assert sidebar.locator("button[data-link]").count() == 0

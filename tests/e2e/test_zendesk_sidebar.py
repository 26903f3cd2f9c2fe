"""The Zendesk sidebar in headless Chromium, end to end.

A harness page plays Zendesk for the real ZAF SDK (handshake, get, invoke) and posts the signed
app JWT into the sidebar iframe; the app runs on a real port with a real RQ worker; the Stripe
sandbox holds the money; the Zendesk emulator receives the private note.
"""
from __future__ import annotations

import importlib.util

import pytest
import stripe

from backend.accounts import add_user
from backend.db import transaction
from backend.models import GatewayConnection, HelpdeskInstallation
from backend.sync.backfill import sync_connection_now
from sidebar_apps.zendesk.demo_host import seed_zendesk_demo
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e
API_KEY = "sk_test_chargedesk_e2e"
SUBDOMAIN = "acme-e2e"
TICKET_ID = 4242
EMULATOR_PRESENT = importlib.util.find_spec("backend.integrations.helpdesks.zendesk.emulator") is not None


@pytest.fixture(scope="module")
def stripe_sandbox():
    from backend.integrations.gateways.stripe.sandbox import StripeSandbox

    sandbox = StripeSandbox()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def zendesk_emulator():
    if not EMULATOR_PRESENT:
        yield None
        return
    from backend.integrations.helpdesks.zendesk.emulator import ZendeskEmulator

    emulator = ZendeskEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


def _stripe_history(sandbox) -> tuple[str, str]:
    """Ada pays $20.00 and $49.00 through the Stripe SDK, as a checkout would; returns the charge ids."""
    v1 = stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0).v1
    customer = v1.customers.create({"email": "ada@example.com", "name": "Ada Lovelace", "payment_method": "pm_card_visa",
                                    "invoice_settings": {"default_payment_method": "pm_card_visa"}}).id

    def pay(amount: int) -> str:
        return v1.payment_intents.create({"amount": amount, "currency": "usd", "customer": customer,
                                          "payment_method": "pm_card_visa", "confirm": True,
                                          "payment_method_types": ["card"]}).latest_charge

    return pay(2000), pay(4900)


def _connect_helpdesk(session, account, emulator) -> dict:
    """The harness installation; with the emulator, real OAuth tokens so the private note can be posted."""
    api_base = emulator.base_url(SUBDOMAIN) if emulator else None
    seeded = seed_zendesk_demo(session, account, subdomain=SUBDOMAIN, api_base=api_base, tickets=[
        {"id": TICKET_ID, "subject": "Charged twice?", "requester": {"id": 77, "email": "ada@example.com",
                                                                     "name": "Ada Lovelace"}}])
    if emulator is not None:
        from backend.integrations.helpdesks.zendesk.oauth import credentials_from_token

        emulator.register_client("zdg-e2e", "e2e-secret")
        zendesk_admin = emulator.add_user(SUBDOMAIN, email="owner@acme.test", name="Olga Owner", role="admin")
        emulator.add_ticket(SUBDOMAIN, subject="Charged twice?", ticket_id=TICKET_ID)
        installation = session.get(HelpdeskInstallation, seeded["installation_id"])
        installation.credentials = credentials_from_token(
            emulator.issue_tokens(SUBDOMAIN, user_id=zendesk_admin.id, client_id="zdg-e2e"))
    return seeded


@pytest.fixture
def arranged(account, ctx, stripe_sandbox, zendesk_emulator):
    stripe_sandbox.reset()
    if zendesk_emulator is not None:
        zendesk_emulator.reset()
    small, large = _stripe_history(stripe_sandbox)
    with transaction() as s:
        connection = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                       credentials={"api_key": API_KEY}, api_base=stripe_sandbox.url)
        s.add(connection)
        agent = add_user(s, account, email="alex@acme.test", role="agent", name="Alex Agent",
                         refund_limit_minor=10_000)
    sync_connection_now(connection.id)
    with transaction() as s:
        seeded = _connect_helpdesk(s, account, zendesk_emulator)
    zendesk_agent = next(a for a in seeded["agents"] if a["user_id"] == agent.id)
    return {"seeded": seeded, "agent": zendesk_agent, "charges": (small, large)}


def _open_ticket(page, live_server, arranged):
    seeded = arranged["seeded"]
    page.goto(f"{live_server}/demo/zendesk/{seeded['installation_id']}/tickets/{TICKET_ID}?agent={arranged['agent']['id']}")
    return page.frame_locator("#zaf-app")


def test_agent_partially_refunds_from_the_ticket_sidebar(page, live_server, rq_worker, arranged, stripe_sandbox,
                                                         zendesk_emulator, artifacts):
    rq_worker()
    small, _large = arranged["charges"]
    sidebar = _open_ticket(page, live_server, arranged)

    charges = sidebar.locator("li[data-type=charge]")
    charges.first.wait_for(timeout=15_000)
    assert charges.count() == 2
    twenty = charges.filter(has_text="$20.00")
    assert twenty.count() == 1 and charges.filter(has_text="$49.00").count() == 1
    assert sidebar.locator("[data-ltv]").inner_text() == "$69.00"
    assert page.locator("body").get_attribute("data-handshake") == "1"
    wait_for(lambda: int(page.locator("#zaf-app").get_attribute("data-height") or 0) > 200,
             message="the sidebar to resize its frame through the SDK")

    twenty.locator("button[data-action=refund]").click()
    dialog = twenty.locator("form.cd-confirm")
    assert dialog.locator("input[name=amount]").input_value() == "20.00"  # the full refundable amount
    dialog.locator("input[name=amount]").fill("5")
    dialog.locator("select[name=reason]").select_option("requested_by_customer")
    dialog.locator("textarea[name=note]").fill("Charged twice for the same order")
    page.screenshot(path=str(artifacts / "zendesk_sidebar_confirm.png"), full_page=True)
    dialog.locator("button[data-confirm=refund]").dblclick()  # an impatient double click

    sidebar.locator(".cd-flash--green").wait_for(timeout=30_000)
    assert "Refunded $5.00 of $20.00" in sidebar.locator(".cd-flash--green").inner_text()
    refunded = sidebar.locator("li[data-type=charge]", has_text="$20.00")
    refunded.locator("[data-refunded='500']").wait_for(timeout=10_000)
    assert "Refunded $5.00 of $20.00" in refunded.inner_text()
    assert "External" not in refunded.inner_text()  # made through ChargeDesk
    assert "Succeeded" in sidebar.locator("li[data-run]").first.inner_text()
    page.screenshot(path=str(artifacts / "zendesk_sidebar_refund.png"), full_page=True)

    refunds = [r for r in stripe_sandbox.objects("refund") if r["charge"] == small]
    assert [(r["amount"], r["currency"]) for r in refunds] == [(500, "usd")]
    assert len(stripe_sandbox.objects("refund")) == 1
    if zendesk_emulator is None:
        pytest.skip("backend/integrations/helpdesks/zendesk/emulator is not built yet: the private note is unchecked")
    notes = wait_for(lambda: zendesk_emulator.comments(SUBDOMAIN, TICKET_ID), timeout=30,
                     message="the private note on the Zendesk ticket")
    assert len(notes) == 1 and notes[0].get("public") is False
    assert "Refunded $5.00 of $20.00" in notes[0]["body"] and "Alex Agent" in notes[0]["body"]

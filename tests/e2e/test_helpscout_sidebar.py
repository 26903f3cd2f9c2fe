"""The Help Scout iframe app in headless Chromium, end to end, with the real @helpscout/javascript-sdk.

The SDK only talks to a parent whose origin is Help Scout's (it checks document.referrer and every
message's origin), so the host harness page is served *as* https://secure.helpscout.net through
Playwright request routing; the SDK runs unmodified. The harness loads our callback URL with a
signed query (as Help Scout does) into an iframe and answers the SDK's postMessage protocol
(GET_APP_CONTEXT, SET_APP_HEIGHT, SHOW_NOTIFICATION). The app runs on a real port with a real RQ
worker; the Stripe sandbox holds the money; the Help Scout emulator receives the note.
"""
from __future__ import annotations

import json

import pytest
import stripe

from backend.accounts import add_user
from backend.db import transaction
from backend.integrations.helpdesks.helpscout.emulator import HelpScoutEmulator, signed_app_query
from backend.integrations.helpdesks.helpscout.seeding import install_for_account
from backend.models import GatewayConnection
from backend.sync.backfill import sync_connection_now
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e
API_KEY = "sk_test_chargedesk_hs_e2e"
SECRET_KEY = "hs-e2e-app-secret"
CLIENT_ID, CLIENT_SECRET = "hs-e2e-client", "hs-e2e-client-secret"
HELPSCOUT = "https://secure.helpscout.net"
HARNESS = """<!doctype html><html><head><meta charset=utf-8><title>Help Scout (harness)</title>
<style>body{margin:0;font:14px sans-serif;display:flex}main{flex:1;padding:16px}
aside{width:340px;border-left:1px solid #ddd}iframe{width:100%;border:0;height:120px}</style></head>
<body data-context-asked="0"><main><h1>Conversation #CONVERSATION</h1><p>Charged twice?</p></main>
<aside><iframe id="hs-app" name="app-42" src="APP_URL" referrerpolicy="origin"></iframe></aside>
<script>
  var CONTEXT = CONTEXT_JSON;
  var frame = document.getElementById('hs-app');
  window.notifications = [];
  window.addEventListener('message', function (event) {
    if (event.source !== frame.contentWindow) { return; }
    var data = event.data || {};
    if (data.type === 'GET_APP_CONTEXT') {
      document.body.setAttribute('data-context-asked', String(+document.body.getAttribute('data-context-asked') + 1));
      frame.contentWindow.postMessage(Object.assign({type: 'SEND_APP_CONTEXT'}, CONTEXT), '*');
    } else if (data.type === 'SET_APP_HEIGHT') {
      frame.style.height = data.value + 'px';
      frame.setAttribute('data-height', String(data.value));
    } else if (data.type === 'SHOW_NOTIFICATION') {
      window.notifications.push(data.value);
    }
  });
</script></body></html>"""


@pytest.fixture(scope="module")
def stripe_sandbox():
    from backend.integrations.gateways.stripe.sandbox import StripeSandbox

    sandbox = StripeSandbox()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def helpscout_emulator():
    emulator = HelpScoutEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


def _stripe_history(sandbox) -> str:
    """Ada pays $20.00 and $49.00 through the Stripe SDK; returns the $20.00 charge id."""
    v1 = stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0).v1
    customer = v1.customers.create({"email": "ada@example.com", "name": "Ada Lovelace", "payment_method": "pm_card_visa",
                                    "invoice_settings": {"default_payment_method": "pm_card_visa"}}).id

    def pay(amount: int) -> str:
        return v1.payment_intents.create({"amount": amount, "currency": "usd", "customer": customer,
                                          "payment_method": "pm_card_visa", "confirm": True,
                                          "payment_method_types": ["card"]}).latest_charge

    small = pay(2000)
    pay(4900)
    return small


@pytest.fixture
def arranged(account, ctx, app, monkeypatch, stripe_sandbox, helpscout_emulator):
    stripe_sandbox.reset()
    helpscout_emulator.reset()
    helpscout_emulator.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://127.0.0.1/admin/oauth/helpscout/callback")
    extra = app.config["SETTINGS"].extra
    monkeypatch.setitem(extra, "HELPSCOUT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setitem(extra, "HELPSCOUT_CLIENT_SECRET", CLIENT_SECRET)
    small = _stripe_history(stripe_sandbox)
    hs_agent = helpscout_emulator.add_user(email="alex@acme.test", first_name="Alex", last_name="Agent", role="admin")
    conversation = helpscout_emulator.add_conversation(subject="Charged twice?", customer_email="ada@example.com")
    with transaction() as s:
        connection = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                       credentials={"api_key": API_KEY}, api_base=stripe_sandbox.url)
        s.add(connection)
        agent = add_user(s, account, email="alex@acme.test", role="agent", name="Alex Agent", refund_limit_minor=10_000)
        installation = install_for_account(s, account, helpscout_emulator, secret_key=SECRET_KEY, client_id=CLIENT_ID,
                                           admin=agent, admin_helpscout_id=hs_agent.id, external_id="hs-e2e")
    sync_connection_now(connection.id)
    return {"small": small, "conversation": conversation, "hs_agent": hs_agent, "installation": installation}


def _open_conversation(page, live_server, arranged):
    """Help Scout's agent UI (the harness) with our app loaded from its signed callback URL."""
    conversation, hs_agent = arranged["conversation"], arranged["hs_agent"]
    query = signed_app_query(SECRET_KEY, [("conversation-id", str(conversation)), ("mailbox-id", "1"),
                                          ("user-id", str(hs_agent.id))])
    context = {"conversation": {"id": conversation, "number": 1, "subject": "Charged twice?", "status": "active"},
               "customer": {"id": 9, "firstName": "Ada", "lastName": "Lovelace",
                            "emails": [{"id": 1, "value": "ada@example.com"}]},
               "user": {"id": hs_agent.id, "firstName": "Alex", "lastName": "Agent", "email": "alex@acme.test"},
               "mailbox": {"id": 1, "email": "help@acme.test"}}
    harness = (HARNESS.replace("APP_URL", f"{live_server}/sidebar/helpscout?app=hs-e2e&{query}")
               .replace("CONTEXT_JSON", json.dumps(context)).replace("CONVERSATION", str(conversation)))
    page.route(f"{HELPSCOUT}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=harness))
    # Our test server is http on loopback, not https as a real callback URL is: the iframe's referrerpolicy
    # keeps the referrer (Help Scout's origin, which the SDK checks) that an https app would get anyway.
    # Chromium's Local Network Access: Help Scout's (public) page may frame our loopback server, as an
    # agent's browser allows it for a self-hosted ChargeDesk on their network.
    page.context.grant_permissions(["local-network-access"], origin=HELPSCOUT)
    page.goto(f"{HELPSCOUT}/conversation/{conversation}")
    return page.frame_locator("#hs-app")


def test_partial_refund_from_the_help_scout_sidebar(page, live_server, rq_worker, arranged, stripe_sandbox,
                                                    helpscout_emulator, artifacts):
    from sidebar_apps.helpscout import sdk

    if not sdk.installed():
        pytest.skip("@helpscout/javascript-sdk is not installed (scripts/bootstrap installs it)")
    rq_worker()
    warnings = []
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
    sidebar = _open_conversation(page, live_server, arranged)

    charges = sidebar.locator("li[data-type=charge]")
    charges.first.wait_for(timeout=15_000)
    assert charges.count() == 2
    assert page.locator("body").get_attribute("data-context-asked") == "1"  # the real SDK asked the parent
    twenty = charges.filter(has_text="$20.00")
    wait_for(lambda: int(page.locator("#hs-app").get_attribute("data-height") or 0) > 200,
             message="the sidebar to set its height through the SDK (setAppHeight)")

    twenty.locator("button[data-action=refund]").click()
    dialog = twenty.locator("form.cd-confirm")
    assert dialog.locator("input[name=amount]").input_value() == "20.00"
    dialog.locator("input[name=amount]").fill("5")
    dialog.locator("select[name=reason]").select_option("requested_by_customer")
    dialog.locator("textarea[name=note]").fill("Charged twice for the same order")
    page.screenshot(path=str(artifacts / "helpscout_sidebar_confirm.png"), full_page=True)
    dialog.locator("button[data-confirm=refund]").dblclick()  # an impatient double click

    sidebar.locator(".cd-flash--green").wait_for(timeout=30_000)
    assert "Refunded $5.00 of $20.00" in sidebar.locator(".cd-flash--green").inner_text()
    sidebar.locator("li[data-type=charge]", has_text="$20.00").locator("[data-refunded='500']").wait_for(timeout=10_000)
    page.screenshot(path=str(artifacts / "helpscout_sidebar_refund.png"), full_page=True)

    refunds = stripe_sandbox.objects("refund")
    assert [(r["charge"], r["amount"], r["currency"]) for r in refunds] == [(arranged["small"], 500, "usd")]
    notes = wait_for(lambda: helpscout_emulator.notes(arranged["conversation"]), timeout=30,
                     message="the private note on the Help Scout conversation")
    assert len(notes) == 1
    assert "Refunded $5.00 of $20.00" in notes[0]["body"] and "Alex Agent" in notes[0]["body"]
    assert notes[0]["createdBy"]["id"] == arranged["hs_agent"].id
    assert not [w for w in warnings if "Help Scout" in w], warnings  # the SDK never refused to talk

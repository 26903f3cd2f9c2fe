"""The refund dialog shows what the agent may still refund without approval (issue 21.3).

The sidebar's billing context carries the agent's remaining allowance (per currency, and narrowed
per charge they already refunded); the dialog renders it in a real browser from that context.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from backend.db import transaction
from backend.models import ActionRun, Charge
from tests.actions.conftest import row

STATIC = Path(__file__).resolve().parents[2] / "sidebar_apps" / "static"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _context(client, agent, email: str = "buyer@example.com") -> dict:
    resp = client.get(f"/api/v1/sidebar/context?email={email}", headers=agent.headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def _charge(shop, mirror, amount: int, currency: str = "usd", email: str = "buyer@example.com") -> Charge:
    charge_id = shop.charge(shop.customer(email), amount, currency)
    mirror()
    return row(Charge, external_id=charge_id)


def _refund(act, agent, charge: Charge, amount: int) -> dict:
    resp = act("refund", charge.id, headers=agent.headers, params={"amount": amount}, reason="duplicate")
    assert resp.status_code == 202, resp.json
    return resp.json


def test_context_carries_what_is_left_of_the_limit(ctx, account, shop, mirror, act, client, sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=2000)
    first = _charge(shop, mirror, 9500)
    fresh = _context(client, agent)["agent"]["refund_allowance"]
    assert fresh == {"limit": 2000, "currency": "USD", "exponent": 2, "remaining": {"USD": 2000}, "charges": {}}

    _refund(act, agent, first, 1900)
    after = _context(client, agent)["agent"]["refund_allowance"]
    assert after["remaining"] == {"USD": 100} and after["charges"] == {str(first.id): 100}


def test_allowance_leaves_out_failed_runs_and_refunds_older_than_a_day(ctx, account, shop, mirror, act, client,
                                                                       sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=2000)
    charge = _charge(shop, mirror, 9500)
    failed, old = _refund(act, agent, charge, 700)["id"], _refund(act, agent, charge, 500)["id"]
    with transaction() as s:
        s.execute(update(ActionRun).where(ActionRun.id == failed).values(status="failed"))
        s.execute(update(ActionRun).where(ActionRun.id == old)
                  .values(created_at=ActionRun.created_at - timedelta(hours=25)))
    allowance = _context(client, agent)["agent"]["refund_allowance"]
    assert allowance["remaining"] == {"USD": 2000}  # yesterday's 5.00 has left the day ...
    assert allowance["charges"] == {str(charge.id): 1500}  # ... but still counts on its charge


def test_no_allowance_without_a_limit(ctx, account, shop, mirror, client, sidebar_agent):
    _charge(shop, mirror, 1000)
    assert _context(client, sidebar_agent("admin"))["agent"]["refund_allowance"] is None
    assert _context(client, sidebar_agent("agent"))["agent"]["refund_allowance"] is None  # no account default


@pytest.fixture(scope="module")
def dialog_page():
    """A bare page with the sidebar's core.js and actions.js, in headless Debian Chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (scripts/test does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        page.set_content("<!doctype html><body></body>")
        for name in ("core.js", "actions.js"):
            page.add_script_tag(content=(STATIC / name).read_text())
        yield page
        browser.close()


def _dialog_text(page, view: dict, charge: Charge) -> str:
    """Open the refund dialog for `charge` from the context, as sidebar.js does; its allowance line."""
    return page.evaluate("""([view, chargeId]) => {
        const CD = window.ChargeDesk;
        const target = view.customer.charges.find((c) => c.id === chargeId);
        const app = {view: view, render() {}, source() { return {}; }};
        const dialog = new CD.Dialog('refund', 'charge', target, view.account);
        document.body.replaceChildren(CD.renderDialog(app, dialog));
        const line = document.querySelector('form.cd-confirm .cd-allowance');
        return line ? line.textContent : null;
    }""", [view, charge.id])


def test_refund_dialog_says_how_much_can_be_refunded_without_approval(ctx, account, shop, mirror, act, client,
                                                                      sidebar_agent, dialog_page):
    agent = sidebar_agent("agent", refund_limit_minor=2000)
    charge = _charge(shop, mirror, 9500)
    assert _dialog_text(dialog_page, _context(client, agent), charge) == \
        "You can refund up to 20.00 USD without approval."
    _refund(act, agent, charge, 1900)
    assert _dialog_text(dialog_page, _context(client, agent), charge) == \
        "You can refund up to 1.00 USD without approval."
    _refund(act, agent, charge, 100)
    assert _dialog_text(dialog_page, _context(client, agent), charge) == "Any refund now needs approval by an admin."
    assert _dialog_text(dialog_page, _context(client, sidebar_agent("owner")), charge) is None


def test_refund_dialog_in_another_currency_says_it_needs_approval(ctx, account, shop, mirror, client, sidebar_agent,
                                                                  dialog_page):
    agent = sidebar_agent("agent", refund_limit_minor=2000)
    charge = _charge(shop, mirror, 5000, "eur", email="euro@example.com")
    view = _context(client, agent, "euro@example.com")
    assert _dialog_text(dialog_page, view, charge) == "Refunds in EUR need approval by an admin."

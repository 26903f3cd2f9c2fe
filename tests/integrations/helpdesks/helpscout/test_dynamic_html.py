"""The dynamic app's markup escapes everything that comes from gateways or requests."""
from __future__ import annotations

from sidebar_apps.helpscout.dynamic_html import render_message, render_summary

EVIL = '<img src=x onerror="alert(1)">'


def view_with(name: str) -> dict:
    charge = {"id": 3, "amount_display": "$20.00", "status": "succeeded", "created_at": "2026-05-01T12:00:00Z",
              "card_brand": EVIL, "card_last4": "4242", "amount_refunded": 0, "actions": ["refund"]}
    return {"customer": {"name": name, "email": "ada@example.com", "gateway": {"name": EVIL, "kind": "stripe"},
                         "lifetime_value": [{"display": "$20.00"}], "charges": [charge], "subscriptions": [],
                         "invoices": {"open": []}},
            "runs": [{"id": "r1", "kind": "refund", "status": "succeeded", "requested_by": EVIL}], "matches": []}


def test_values_are_escaped_and_links_quoted():
    html = render_summary(view_with(EVIL), link=lambda kind, t, i: f'https://x.test/a?t="{kind}{i}"&b=<',
                          read_only=False, emails=())
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="https://x.test/a?t=&quot;refund3&quot;&amp;b=&lt;"' in html
    assert "data-read-only" not in html


def test_read_only_has_no_links_and_messages_are_escaped():
    html = render_summary(view_with("Ada"), link=lambda *a: None, read_only=True, emails=())
    assert "data-action" not in html and "data-read-only" in html
    assert render_message(EVIL).count("<img") == 0

"""Dynamic app action links -> our confirm page -> the action intake; links expire and are bound."""
from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from backend.db import session, transaction
from backend.models import ActionRun, User

from .test_dynamic_app import action_links, body_for, html_of, post


def form_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in re.findall(r'<input type=hidden name=(\w+) value="([^"]*)">', html)}


def runs() -> int:
    return session().scalar(select(func.count()).select_from(ActionRun))


@pytest.fixture
def refund_link(client, installation, hs_admin, billing):
    links = action_links(html_of(post(client, body_for(hs_admin.id, "ada@example.com"))))
    small_id = billing["small"][1]
    link = next(url for url in links["refund"]
                if _target_of(client, url) == small_id)
    return urlsplit(link).path + "?" + urlsplit(link).query


def _target_of(client, url: str) -> int:
    page = client.get(urlsplit(url).path + "?" + urlsplit(url).query)
    assert page.status_code == 200, page.text
    return int(re.search(r"data-target-id=\"(\d+)\"", page.text).group(1))


def test_confirm_page_then_submit_queues_one_refund(client, refund_link, billing):
    page = client.get(refund_link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer" and "frame-ancestors 'none'" in \
        page.headers["Content-Security-Policy"]
    assert 'name=amount value="20.00"' in page.text and "Refund charge" in page.text
    fields = form_fields(page.text)
    data = {**fields, "amount": "5.00", "reason": "requested_by_customer", "note": "Charged twice"}
    first = client.post("/sidebar/helpscout/action", data=data)
    assert first.status_code == 202, first.text
    again = client.post("/sidebar/helpscout/action", data=data)  # a double submit
    assert again.status_code in (200, 202)
    assert runs() == 1
    run = session().scalars(select(ActionRun)).one()
    owner = session().scalars(select(User).where(User.role == "owner")).one()
    assert (run.kind, run.params["amount"], run.params["currency"], run.reason_code, run.reason_text) == (
        "refund", 500, "USD", "requested_by_customer", "Charged twice")
    assert (run.source["host"], run.source["ticket_id"], run.requested_by_user_id) == ("helpscout", "555", owner.id)
    status = client.get(f"/sidebar/helpscout/action/status?t={fields['t']}&run={run.id}")
    assert status.status_code == 200 and run.id in status.text


def test_refusals_keep_the_form_and_store_nothing(client, refund_link):
    fields = form_fields(client.get(refund_link).text)
    too_much = client.post("/sidebar/helpscout/action", data={**fields, "amount": "25.00", "reason": "duplicate"})
    assert too_much.status_code == 422 and "name=amount" in too_much.text
    no_reason = client.post("/sidebar/helpscout/action", data={**fields, "amount": "5"})
    assert no_reason.status_code == 422 and "reason" in no_reason.text.lower()
    bad_amount = client.post("/sidebar/helpscout/action", data={**fields, "amount": "5.001", "reason": "duplicate"})
    assert bad_amount.status_code == 422
    bad_csrf = client.post("/sidebar/helpscout/action", data={**fields, "csrf_token": "x", "amount": "5",
                                                                "reason": "duplicate"})
    assert bad_csrf.status_code == 403
    other_key = client.post("/sidebar/helpscout/action", data={**fields, "key": "another", "amount": "5",
                                                                 "reason": "duplicate"})
    assert other_key.status_code == 403
    assert runs() == 0


def test_tampered_and_expired_links(client, refund_link, app, monkeypatch):
    token = parse_qs(urlsplit(refund_link).query)["t"][0]
    tampered = client.get("/sidebar/helpscout/action?t=" + ("A" if token[0] != "A" else "B") + token[1:])
    assert tampered.status_code == 400 and "not valid" in tampered.text
    assert client.get("/sidebar/helpscout/action").status_code == 400
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    expired = client.get(refund_link)
    assert expired.status_code == 410 and "expired" in expired.text
    assert runs() == 0


def test_a_disabled_agent_cannot_use_a_link(client, refund_link):
    from datetime import datetime, timezone

    with transaction() as s:
        s.scalars(select(User).where(User.role == "owner")).one().disabled_at = datetime.now(timezone.utc)
    page = client.get(refund_link)
    assert page.status_code == 403 and "disabled" in page.text

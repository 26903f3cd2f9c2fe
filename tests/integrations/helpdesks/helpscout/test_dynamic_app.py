"""The legacy dynamic app: signed JSON in, {"html": ...} out; refusals store nothing."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from backend.db import session, transaction
from backend.models import ActionRun, AgentIdentity, HelpdeskInstallation, User

from .conftest import APP_SECRET_KEY

CONVERSATION = 555


def body_for(user_id, *emails, ticket=CONVERSATION) -> bytes:
    data = {"ticket": {"id": ticket, "number": 12, "subject": "Charged twice"} if ticket else False,
            "customer": {"id": 9, "fname": "Ada", "lname": "Lovelace", "email": emails[0] if emails else None,
                         "emails": list(emails)},
            "user": {"fname": "Alex", "lname": "Agent", "id": user_id, "role": "user", "convRedirect": 0},
            "mailbox": {"id": 1, "email": "help@acme.test"}}
    return json.dumps(data, indent=1).encode()  # not compact: the signature is over these exact bytes


def post(client, body: bytes, *, app="hs-acme", secret=APP_SECRET_KEY, signature=None):
    sig = signature if signature is not None else base64.b64encode(
        hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()
    return client.post(f"/sidebar/helpscout/dynamic?app={app}", data=body,
                       headers={"Content-Type": "application/json", "X-HelpScout-Signature": sig})


def html_of(response) -> str:
    assert response.status_code == 200, response.text
    data = response.get_json()
    assert set(data) == {"html"}
    return data["html"]


def counts() -> tuple[int, int, int]:
    s = session()
    return (s.scalar(select(func.count()).select_from(User)), s.scalar(select(func.count()).select_from(AgentIdentity)),
            s.scalar(select(func.count()).select_from(ActionRun)))


def action_links(html: str) -> dict[str, list[str]]:
    links: dict[str, list[str]] = {}
    for href, kind in re.findall(r'<a href="([^"]+)" target="_blank" rel="noopener" data-action="([a-z_]+)"', html):
        links.setdefault(kind, []).append(unescape(href))
    return links


def test_linked_agent_sees_the_billing_summary_with_action_links(client, installation, hs_admin, billing):
    html = html_of(post(client, body_for(hs_admin.id, "Ada@Example.com")))
    assert 'class="c-sb-section' in html and "$20.00" in html and "$49.00" in html and "Pro" in html
    links = action_links(html)
    assert len(links["refund"]) == 2 and len(links["cancel_subscription"]) == 1
    assert all(url.startswith("http://localhost/sidebar/helpscout/action?t=") for url in links["refund"])


def test_unknown_agent_is_provisioned_from_the_mailbox_api(client, installation, configured, billing):
    agent = configured.add_user(email="Alex@Acme.test", first_name="Alex", last_name="Agent", role="user")
    html = html_of(post(client, body_for(agent.id, "ada@example.com")))
    user = session().scalars(select(User).where(User.email == "alex@acme.test")).one()
    assert (user.role, user.name) == ("agent", "Alex Agent")
    assert session().scalars(select(AgentIdentity).where(AgentIdentity.user_id == user.id)).one().external_user_id \
        == str(agent.id)
    assert ("GET", f"/v2/users/{agent.id}") in configured.request_log
    assert action_links(html)["refund"]


def test_unknown_agent_without_api_access_reads_only(client, installation, billing):
    with transaction() as s:
        row = s.get(HelpdeskInstallation, installation.id)
        row.credentials = {"secret_key": APP_SECRET_KEY}  # no OAuth tokens
    before = counts()
    html = html_of(post(client, body_for(4242, "ada@example.com")))
    assert "$20.00" in html and "data-read-only" in html and action_links(html) == {}
    assert counts() == before


def test_a_help_scout_user_who_is_not_staff_is_refused_in_html(client, installation, configured, billing):
    # Help Scout's API lists only staff users, so "not found" is the refusal here
    html = html_of(post(client, body_for(999999, "ada@example.com")))
    assert "could not look up your Help Scout user" in html and "$20.00" not in html
    assert counts()[1] == 1  # only the seeded identity


@pytest.mark.parametrize("signature", ["", "bm90IGl0", "!!!"])
def test_bad_signature_is_401_with_no_data(client, installation, hs_admin, billing, signature):
    before = counts()
    response = post(client, body_for(hs_admin.id, "ada@example.com"), signature=signature)
    assert response.status_code == 401 and response.data == b""
    assert counts() == before


def test_signature_with_another_secret_is_401(client, installation, hs_admin, billing):
    response = post(client, body_for(hs_admin.id, "ada@example.com"), secret="another-secret")
    assert response.status_code == 401 and response.data == b""


def test_unknown_installation_answers_a_clear_html_message(client, installation, hs_admin):
    before = counts()
    html = html_of(post(client, body_for(hs_admin.id, "ada@example.com"), app="hs-nobody"))
    assert "does not know this app" in html and "chargedesk helpdesk add helpscout" in html
    assert "$" not in html and counts() == before


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b""])
def test_malformed_signed_bodies_answer_html(client, installation, body):
    before = counts()
    html = html_of(post(client, body))
    assert "could not read" in html
    assert counts() == before


def test_no_customer_email(client, installation, hs_admin):
    html = html_of(post(client, body_for(hs_admin.id)))
    assert "no customer email" in html


def test_no_match_and_escaping(client, installation, hs_admin, billing):
    html = html_of(post(client, body_for(hs_admin.id, "<b>x</b>@example.com")))
    assert "No billing customer matches" in html and "<b>" not in html


def test_a_disconnected_installation_asks_for_a_reconnect(client, installation, hs_admin, billing):
    with transaction() as s:
        s.get(HelpdeskInstallation, installation.id).status = "reconnect_required"
    html = html_of(post(client, body_for(hs_admin.id, "ada@example.com")))
    assert "reconnect" in html and "$20.00" not in html


def test_a_draft_conversation_still_shows_billing_and_its_links_carry_no_ticket(client, installation, hs_admin,
                                                                                 billing):
    from urllib.parse import parse_qs, urlsplit

    from sidebar_apps.helpscout.action_links import read_link

    html = html_of(post(client, body_for(hs_admin.id, "ada@example.com", ticket=None)))  # Help Scout sends ticket: false
    link = action_links(html)["refund"][0]
    with client.application.test_request_context("/"):
        assert read_link(parse_qs(urlsplit(link).query)["t"][0]).ticket_id is None


def test_oversized_body_is_refused_in_html(client, installation, hs_admin):
    html = html_of(post(client, b"{" + b" " * (300 * 1024) + b"}"))
    assert "could not read" in html

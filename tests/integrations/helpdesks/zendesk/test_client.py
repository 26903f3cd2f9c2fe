"""ZendeskHelpdesk through zenpy against the emulator: notes, token rotation, revocation, faults."""
from __future__ import annotations

import time

import pytest

from backend.db import session, transaction
from backend.integrations.helpdesks import HelpdeskConfig, HelpdeskError, build_helpdesk_client, helpdesk_client_class
from backend.integrations.helpdesks.zendesk.installations import helpdesk_config_for, post_private_note
from backend.models import HelpdeskInstallation

from .conftest import SUBDOMAIN, csrf_from, oauth_sign_in


def stored(installation_id: int) -> HelpdeskInstallation:
    session().expire_all()
    return session().get(HelpdeskInstallation, installation_id)


def test_registry_builds_the_zendesk_client(connected):
    from backend.integrations.helpdesks import HelpdeskClient

    client = build_helpdesk_client("zendesk", helpdesk_config_for(connected.installation))
    assert isinstance(client, HelpdeskClient) and helpdesk_client_class("zendesk").name == "zendesk"


def test_private_note_lands_on_the_ticket(connected, zendesk):
    ticket = zendesk.add_ticket(SUBDOMAIN, subject="Refund please")
    post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket),
                      body="Refunded $5.00 of $20.00 — duplicate — by Olga Owner")
    comments = zendesk.comments(SUBDOMAIN, ticket)
    assert [(c["body"], c["public"], c["author_id"]) for c in comments] == [
        ("Refunded $5.00 of $20.00 — duplicate — by Olga Owner", False, connected.admin_zendesk_id)]
    assert ("PUT", f"/{SUBDOMAIN}/api/v2/tickets/{ticket}.json") in zendesk.request_log


def test_a_keyed_note_is_checked_against_the_tickets_comments_and_posted_once(connected, zendesk):
    ticket = zendesk.add_ticket(SUBDOMAIN, subject="Refund please")
    client = build_helpdesk_client("zendesk", helpdesk_config_for(connected.installation))
    client.post_private_note(ticket_id=str(ticket), body="Refunded $5.00", idempotency_key="run-1")
    zendesk.fail_next(1, status=503, path_prefix=f"/{SUBDOMAIN}/api/v2/tickets/{ticket}/comments")
    with pytest.raises(HelpdeskError) as unavailable:  # the check itself failing is a retryable error, no post
        client.post_private_note(ticket_id=str(ticket), body="Refunded $5.00", idempotency_key="run-1")
    assert unavailable.value.retryable
    client.post_private_note(ticket_id=str(ticket), body="Refunded $5.00", idempotency_key="run-1")
    client.post_private_note(ticket_id=str(ticket), body="Refunded $5.00", idempotency_key="run-2")
    bodies = [c["body"] for c in zendesk.comments(SUBDOMAIN, ticket)]
    assert len(bodies) == 2 and all(b.startswith("Refunded $5.00\n\n[ChargeDesk ref ") for b in bodies)
    assert bodies[0] != bodies[1], "each key has its own marker"
    assert "run-1" not in bodies[0], "the marker is a digest, not the key"
    assert zendesk.request_log.count(("GET", f"/{SUBDOMAIN}/api/v2/tickets/{ticket}/comments.json")) == 4


def test_a_public_comment_with_the_marker_does_not_stop_the_note(connected, zendesk):
    from backend.integrations.helpdesks.zendesk.client import note_marker
    from backend.integrations.helpdesks.zendesk.emulator.shapes import comment_json

    ticket = zendesk.add_ticket(SUBDOMAIN, subject="Refund please")
    with zendesk.state.lock:  # the customer quotes an old note back in a public reply
        zendesk.state.tickets[(SUBDOMAIN, ticket)].comments.append(comment_json(
            comment_id=9001, author_id=connected.admin_zendesk_id, body=f"quoting [{note_marker('run-1')}]",
            public=True, audit_id=9002, created_at=time.time()))
    client = build_helpdesk_client("zendesk", helpdesk_config_for(connected.installation))
    client.post_private_note(ticket_id=str(ticket), body="Refunded $5.00", idempotency_key="run-1")
    assert [c["public"] for c in zendesk.comments(SUBDOMAIN, ticket)] == [True, False]


def test_note_on_a_missing_ticket_is_a_permanent_error(connected, zendesk):
    with pytest.raises(HelpdeskError) as caught:
        post_private_note(installation_id=connected.installation.id, ticket_id="424242", body="x")
    assert not caught.value.retryable and not caught.value.reconnect


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retryable(connected, zendesk, status):
    ticket = zendesk.add_ticket(SUBDOMAIN)
    zendesk.fail_next(1, status=status, path_prefix=f"/{SUBDOMAIN}/api/v2/tickets")
    started = time.monotonic()
    with pytest.raises(HelpdeskError) as caught:
        post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="x")
    assert caught.value.retryable and not caught.value.reconnect
    assert time.monotonic() - started < 2, "a 429 must not block the worker sleeping"
    assert zendesk.comments(SUBDOMAIN, ticket) == []
    post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="second try")
    assert [c["body"] for c in zendesk.comments(SUBDOMAIN, ticket)] == ["second try"]
    assert stored(connected.installation.id).status == "active"


def test_token_about_to_expire_is_refreshed_first_and_rotation_kills_the_old_pair(connected, zendesk):
    with transaction() as s:
        row = s.get(HelpdeskInstallation, connected.installation.id)
        row.credentials = {**row.credentials, "expires_at": int(time.time()) + 60}
    old = dict(stored(connected.installation.id).credentials)
    ticket = zendesk.add_ticket(SUBDOMAIN)
    post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="after refresh")
    new = stored(connected.installation.id).credentials
    assert new["access_token"] != old["access_token"] and new["refresh_token"] != old["refresh_token"]
    assert new["expires_at"] > time.time() + 3600
    assert [r["grant_type"] for r in zendesk.token_requests] == ["refresh_token"]
    assert zendesk.comments(SUBDOMAIN, ticket)[0]["body"] == "after refresh"

    stale = build_helpdesk_client("zendesk", HelpdeskConfig(
        installation_id=connected.installation.id, external_id=SUBDOMAIN, credentials=old,
        api_base=zendesk.base_url(SUBDOMAIN)))
    with pytest.raises(HelpdeskError) as caught:
        stale.post_private_note(ticket_id=str(ticket), body="with the old pair")
    assert caught.value.reconnect, "the old refresh token must no longer work"
    assert len(zendesk.comments(SUBDOMAIN, ticket)) == 1


def test_client_refresh_saves_the_new_pair_through_the_config(connected, zendesk):
    saved: list[dict] = []
    creds = {**connected.installation.credentials, "expires_at": int(time.time()) - 1}
    client = build_helpdesk_client("zendesk", HelpdeskConfig(
        installation_id=connected.installation.id, external_id=SUBDOMAIN, credentials=creds,
        api_base=zendesk.base_url(SUBDOMAIN), save_credentials=saved.append))
    assert client.current_user().id == connected.admin_zendesk_id
    assert len(saved) == 1 and saved[0]["refresh_token"] != creds["refresh_token"]


def test_config_without_a_saver_still_persists_the_rotated_pair(connected, zendesk):
    """A caller that builds HelpdeskConfig by hand must not lose the new refresh token."""
    creds = {**stored(connected.installation.id).credentials, "expires_at": int(time.time()) + 10}
    client = build_helpdesk_client("zendesk", HelpdeskConfig(
        installation_id=connected.installation.id, external_id=SUBDOMAIN, credentials=creds,
        api_base=zendesk.base_url(SUBDOMAIN)))
    ticket = zendesk.add_ticket(SUBDOMAIN)
    client.post_private_note(ticket_id=str(ticket), body="one")
    saved = stored(connected.installation.id).credentials
    assert saved["refresh_token"] != creds["refresh_token"]
    post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="two")
    assert [c["body"] for c in zendesk.comments(SUBDOMAIN, ticket)] == ["one", "two"]


def test_revoked_grant_marks_reconnect_and_the_admin_page_offers_it(app, connected, zendesk, account):
    ticket = zendesk.add_ticket(SUBDOMAIN)
    zendesk.revoke(SUBDOMAIN)
    with pytest.raises(HelpdeskError) as caught:
        post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="x")
    assert caught.value.reconnect and not caught.value.retryable
    assert stored(connected.installation.id).status == "reconnect_required"

    browser = app.test_client()
    signed_in = oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=_zendesk_agent_user(zendesk))
    assert signed_in.status_code == 302
    page = browser.get("/admin")
    assert "Reconnect Zendesk" in page.text and "reconnect required" in page.text

    reconnect = browser.post(f"/admin/zendesk/{connected.installation.id}/reconnect",
                             data={"csrf_token": csrf_from(page.text)})
    assert reconnect.status_code == 302 and "/oauth/authorizations/new" in reconnect.headers["Location"]


def test_reconnect_by_a_zendesk_admin_restores_the_installation(app, connected, zendesk):
    zendesk.revoke(SUBDOMAIN)
    ticket = zendesk.add_ticket(SUBDOMAIN)
    with pytest.raises(HelpdeskError):
        post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="x")
    assert oauth_sign_in(app.test_client(), zendesk, subdomain=SUBDOMAIN,
                         user_id=connected.admin_zendesk_id).status_code == 302
    assert stored(connected.installation.id).status == "active"
    post_private_note(installation_id=connected.installation.id, ticket_id=str(ticket), body="back")
    assert [c["body"] for c in zendesk.comments(SUBDOMAIN, ticket)] == ["back"]


def _zendesk_agent_user(zendesk) -> int:
    """A Zendesk agent whose email is the account owner's (a ChargeDesk user who is no Zendesk admin)."""
    return zendesk.add_user(SUBDOMAIN, email="owner@acme.test", name="Olga Owner", role="agent").id

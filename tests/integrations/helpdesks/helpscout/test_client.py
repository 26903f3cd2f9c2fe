"""HelpScoutHelpdesk against the emulator: users, notes (idempotent), conversations, refresh, errors."""
from __future__ import annotations

import pytest

from backend.integrations.helpdesks import HelpdeskConfig, HelpdeskError
from backend.integrations.helpdesks.helpscout.client import HelpScoutHelpdesk
from backend.integrations.helpdesks.helpscout.oauth import credentials_from_token

from .conftest import APP_SECRET_KEY, CLIENT_ID


@pytest.fixture
def connected(helpscout, hs_admin, oauth_app):
    saved: list[dict] = []
    creds = {"secret_key": APP_SECRET_KEY,
             **credentials_from_token(helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID))}
    config = HelpdeskConfig(installation_id=7, external_id="hs-acme", credentials=creds, api_base=helpscout.url,
                            save_credentials=saved.append)
    return HelpScoutHelpdesk(config, oauth_client=oauth_app), saved


def test_users(connected, hs_admin, helpscout):
    client, _ = connected
    me = client.current_user()
    assert (me.id, me.email, me.name, me.role, me.is_admin) == (hs_admin.id, "olga@acme.test", "Olga Owner",
                                                                "owner", True)
    agent = helpscout.add_user(email="alex@acme.test", first_name="Alex", last_name="Agent")
    fetched = client.get_user(str(agent.id))
    assert (fetched.email, fetched.role, fetched.is_admin, fetched.is_staff) == ("alex@acme.test", "user", False, True)
    with pytest.raises(HelpdeskError) as missing:
        client.get_user(123)
    assert not missing.value.retryable and "not found" in missing.value.message
    with pytest.raises(HelpdeskError):
        client.get_user("1; drop")


def test_a_retried_note_is_posted_once(connected, helpscout):
    client, _ = connected
    conversation = helpscout.add_conversation(customer_email="ada@example.com")
    client.post_private_note(ticket_id=str(conversation), body="Refunded $5.00", idempotency_key="run-1")
    client.post_private_note(ticket_id=str(conversation), body="Refunded $5.00", idempotency_key="run-1")
    client.post_private_note(ticket_id=str(conversation), body="Refunded $5.00", idempotency_key="run-2")
    notes = helpscout.notes(conversation)
    assert len(notes) == 2 and all(n["body"].startswith("Refunded $5.00\n\n[ChargeDesk ref ") for n in notes)
    assert notes[0]["body"] != notes[1]["body"]


def test_a_note_without_key_is_deduplicated_by_its_text(connected, helpscout):
    client, _ = connected
    conversation = helpscout.add_conversation()
    client.post_private_note(ticket_id=f"#{conversation}", body="Canceled subscription")
    client.post_private_note(ticket_id=str(conversation), body="Canceled subscription")
    client.post_private_note(ticket_id=str(conversation), body="Refunded $1.00")
    assert [n["body"].split("\n")[0] for n in helpscout.notes(conversation)] == [
        "Canceled subscription", "Refunded $1.00"]


def test_a_failed_post_is_retryable_and_a_retry_posts_once(connected, helpscout):
    client, _ = connected
    conversation = helpscout.add_conversation()
    helpscout.fail_next(1, status=502, path_prefix=f"/v2/conversations/{conversation}/notes")
    with pytest.raises(HelpdeskError) as failed:
        client.post_private_note(ticket_id=str(conversation), body="Refunded", idempotency_key="k")
    assert failed.value.retryable
    client.post_private_note(ticket_id=str(conversation), body="Refunded", idempotency_key="k")
    assert len(helpscout.notes(conversation)) == 1


def test_create_conversation_with_a_note(connected, helpscout):
    client, _ = connected
    new_id = client.create_conversation(mailbox_id=5, customer_email="ada@example.com", subject="Question",
                                        note="Billing context", customer_text="Where is my invoice?")
    created = next(c for c in helpscout.conversations() if c["id"] == new_id)
    assert (created["mailbox_id"], created["customer_email"]) == (5, "ada@example.com")
    assert [(t["type"], t["body"]) for t in created["threads"]] == [
        ("customer", "Where is my invoice?"), ("note", "Billing context")]
    with pytest.raises(HelpdeskError) as bad:
        client.create_conversation(mailbox_id=5, customer_email="ada@example.com", subject=" ", note="x")
    assert "subject" in bad.value.message and not bad.value.retryable


def test_an_expired_token_is_refreshed_once_and_saved_with_the_secret_key(connected, helpscout):
    client, saved = connected
    old = client.credentials["access_token"]
    helpscout.advance_clock(172_800 + 10)
    assert client.current_user().email == "olga@acme.test"
    assert len(saved) == 1 and saved[0]["secret_key"] == APP_SECRET_KEY
    assert saved[0]["access_token"] != old and saved[0]["expires_at"] > 0
    assert [r["grant_type"] for r in helpscout.token_requests] == ["refresh_token"]


def test_a_token_rejected_before_expiry_is_refreshed_after_the_401(connected, helpscout, hs_admin):
    client, saved = connected
    helpscout.state.tokens[0].access_expires_at = 0  # Help Scout dropped it early
    assert client.current_user().id == hs_admin.id
    assert len(saved) == 1


def test_a_revoked_grant_asks_for_a_reconnect(connected, helpscout, hs_admin):
    client, saved = connected
    helpscout.revoke(hs_admin.id)
    with pytest.raises(HelpdeskError) as revoked:
        client.current_user()
    assert revoked.value.reconnect and not revoked.value.retryable and saved == []


def test_unreachable_help_scout_is_retryable(oauth_app):
    config = HelpdeskConfig(installation_id=1, external_id="x", credentials={"access_token": "t"},
                            api_base="http://127.0.0.1:9")
    with pytest.raises(HelpdeskError) as down:
        HelpScoutHelpdesk(config, oauth_client=oauth_app).current_user()
    assert down.value.retryable


def test_no_token_at_all_asks_to_connect(oauth_app, helpscout):
    config = HelpdeskConfig(installation_id=1, external_id="x", credentials={"secret_key": "s"},
                            api_base=helpscout.url)
    with pytest.raises(HelpdeskError) as missing:
        HelpScoutHelpdesk(config, oauth_client=oauth_app).current_user()
    assert missing.value.reconnect

"""The Intercom REST client against the emulator: notes posted once (by key, or identical text while
a retry is plausible), teammates, tickets; errors as the helpdesk taxonomy; a revoked token marks
the installation for a reconnect."""
from __future__ import annotations

import pytest

from backend.db import session
from backend.integrations.helpdesks import HelpdeskConfig, HelpdeskError, helpdesk_host, post_private_note
from backend.integrations.helpdesks.intercom.client import IntercomHelpdesk
from backend.models import HelpdeskInstallation


@pytest.fixture
def api(configured, ic_admin):
    token = configured.issue_token(admin_id=ic_admin)
    return IntercomHelpdesk(HelpdeskConfig(installation_id=0, external_id="ws-acme",
                                           credentials={"access_token": token}, api_base=configured.url))


def test_a_note_is_posted_once_per_key_and_escaped(api, intercom, ic_admin):
    conversation = intercom.add_conversation()
    for _ in range(2):
        api.post_private_note(ticket_id=conversation, body="Refunded <b>$5.00</b>\nby Olga", idempotency_key="run-1")
    (note,) = intercom.notes(conversation)
    assert note["body"].startswith("<p>Refunded &lt;b&gt;$5.00&lt;/b&gt;</p><p>by Olga</p><p>[ChargeDesk ref ")
    assert note["author"]["id"] == ic_admin
    api.post_private_note(ticket_id=conversation, body="Refunded <b>$5.00</b>\nby Olga", idempotency_key="run-2")
    assert len(intercom.notes(conversation)) == 2


def test_an_identical_note_without_key_is_a_retry_recently(api, intercom):
    conversation = intercom.add_conversation()
    api.post_private_note(ticket_id=conversation, body="Refunded $5.00")
    api.post_private_note(ticket_id=conversation, body="Refunded $5.00")
    assert len(intercom.notes(conversation)) == 1
    with intercom.state.lock:  # the same text long after is a new note
        intercom.state.conversations[conversation].parts[0]["created_at"] -= 3600
    api.post_private_note(ticket_id=conversation, body="Refunded $5.00")
    assert len(intercom.notes(conversation)) == 2


def test_errors_map_to_the_taxonomy(api, intercom):
    with pytest.raises(HelpdeskError, match="not found") as missing:
        api.post_private_note(ticket_id="424242", body="x")
    assert not missing.value.retryable
    with pytest.raises(HelpdeskError, match="invalid Intercom conversation id"):
        api.post_private_note(ticket_id="../admins", body="x")
    intercom.fail_next(status=503)
    with pytest.raises(HelpdeskError) as unavailable:
        api.me()
    assert unavailable.value.retryable


def test_teammates_and_a_ticket_with_a_private_note(api, intercom, ic_admin):
    agent = intercom.add_admin(email="ann@acme.test", name="Ann Agent")
    assert (api.me().id, api.me().owner, api.get_admin(agent).email, api.get_admin(agent).owner) == (
        ic_admin, True, "ann@acme.test", False)
    first = api.create_ticket(requester_email="bea@example.org", requester_name="Bea", subject="Invoice 1042",
                              body="Why twice?", private_note="2 charges of $20.00")
    second = api.create_ticket(requester_email="bea@example.org", requester_name="Bea", subject="Again",
                               body="Still twice?")
    one, two = intercom.conversation(first), intercom.conversation(second)
    assert (one["title"], one["body"], one["contact_email"]) == ("Invoice 1042", "Why twice?", "bea@example.org")
    assert [p["part_type"] for p in one["parts"]] == ["note"] and two["parts"] == []
    assert len(intercom.state.contacts) == 1  # the contact is found again, not duplicated


def test_a_revoked_token_marks_the_installation_for_a_reconnect(installation, intercom, ic_admin):
    conversation = intercom.add_conversation()
    intercom.revoke(ic_admin)
    with pytest.raises(HelpdeskError) as revoked:
        post_private_note("intercom", installation_id=installation.id, ticket_id=conversation, body="x")
    assert revoked.value.reconnect and not revoked.value.retryable
    row = session().get(HelpdeskInstallation, installation.id)
    session().refresh(row)
    assert row.status == "reconnect_required" and intercom.notes(conversation) == []
    with pytest.raises(HelpdeskError, match="reconnect"):
        helpdesk_host("intercom").api_for(row)


def test_the_emulator_answers_what_the_sdk_models_validate(intercom, ic_admin):
    """Strict pydantic validation (the SDK itself parses leniently) of every emulator answer we use."""
    import httpx
    from intercom import Admin, AdminWithApp, ContactList, Conversation, Message
    from intercom.contacts.types import ContactsCreateResponse
    from pydantic import TypeAdapter

    http = httpx.Client(base_url=intercom.url,
                        headers={"Authorization": f"Bearer {intercom.issue_token(admin_id=ic_admin)}"})

    def valid(model, response):
        assert response.status_code == 200, response.text
        TypeAdapter(model).validate_python(response.json())
        return response.json()

    search = {"query": {"field": "email", "operator": "=", "value": "bea@example.org"}}
    valid(AdminWithApp, http.get("/me"))
    valid(Admin, http.get(f"/admins/{ic_admin}"))
    valid(ContactList, http.post("/contacts/search", json=search))
    contact = valid(ContactsCreateResponse, http.post("/contacts", json={"role": "user", "email": "bea@example.org"}))
    assert valid(ContactList, http.post("/contacts/search", json=search))["data"][0]["id"] == contact["id"]
    message = valid(Message, http.post("/conversations", json={"from": {"type": "user", "id": contact["id"]},
                                                               "body": "Why twice?"}))
    conversation = message["conversation_id"]
    valid(Conversation, http.put(f"/conversations/{conversation}", json={"title": "Invoice"}))
    valid(Conversation, http.post(f"/conversations/{conversation}/reply", json={
        "type": "admin", "message_type": "note", "admin_id": ic_admin, "body": "<p>x</p>"}))
    valid(Conversation, http.get(f"/conversations/{conversation}"))

"""The Help Scout emulator enforces what the real API does: bearer tokens that expire, refresh, shapes."""
from __future__ import annotations

import requests

from .conftest import CLIENT_ID, CLIENT_SECRET


def _get(emulator, path, token):
    return requests.get(f"{emulator.url}/v2{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_users_me_needs_a_live_token_and_expires_after_two_days(helpscout, hs_admin):
    tokens = helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID)
    assert tokens["expires_in"] == 172800
    me = _get(helpscout, "/users/me", tokens["access_token"])
    assert me.status_code == 200
    assert (me.json()["email"], me.json()["role"], me.json()["firstName"]) == ("olga@acme.test", "owner", "Olga")
    assert _get(helpscout, "/users/me", "not-a-token").status_code == 401
    helpscout.advance_clock(172801)
    assert _get(helpscout, "/users/me", tokens["access_token"]).status_code == 401


def test_refresh_replaces_the_pair(helpscout, hs_admin):
    tokens = helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID)
    helpscout.advance_clock(172801)
    url = f"{helpscout.url}/v2/oauth2/token"
    fresh = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                     "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=5)
    assert fresh.status_code == 200 and fresh.json()["expires_in"] == 172800
    assert _get(helpscout, "/users/me", fresh.json()["access_token"]).status_code == 200
    again = requests.post(url, json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                     "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": fresh.json()["refresh_token"],
                                     "client_id": CLIENT_ID, "client_secret": "nope"}, timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_notes_and_conversations(helpscout, hs_admin):
    token = helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    conversation = helpscout.add_conversation(customer_email="ada@example.com")
    note = requests.post(f"{helpscout.url}/v2/conversations/{conversation}/notes", json={"text": "Refunded"},
                         headers=headers, timeout=5)
    assert note.status_code == 201 and note.headers["Resource-ID"].isdigit() and note.content == b""
    threads = _get(helpscout, f"/conversations/{conversation}/threads", token).json()["_embedded"]["threads"]
    assert [(t["type"], t["body"], t["createdBy"]["id"]) for t in threads] == [("note", "Refunded", hs_admin.id)]
    empty = requests.post(f"{helpscout.url}/v2/conversations/{conversation}/notes", json={"text": " "},
                          headers=headers, timeout=5)
    assert empty.status_code == 400 and empty.json()["_embedded"]["errors"][0]["path"] == "text"
    missing = requests.post(f"{helpscout.url}/v2/conversations/999/notes", json={"text": "x"}, headers=headers,
                            timeout=5)
    assert missing.status_code == 404

    created = requests.post(f"{helpscout.url}/v2/conversations", headers=headers, timeout=5, json={
        "subject": "Invoice question", "customer": {"email": "ada@example.com"}, "mailboxId": 3, "type": "email",
        "status": "active", "threads": [{"type": "note", "text": "Billing context"}]})
    assert created.status_code == 201
    new_id = int(created.headers["Resource-ID"])
    assert created.headers["Location"].endswith(f"/v2/conversations/{new_id}")
    shown = _get(helpscout, f"/conversations/{new_id}", token).json()
    assert (shown["subject"], shown["mailboxId"], shown["primaryCustomer"]["email"]) == (
        "Invoice question", 3, "ada@example.com")
    assert [t["body"] for t in helpscout.notes(new_id)] == ["Billing context"]
    bad = requests.post(f"{helpscout.url}/v2/conversations", headers=headers, timeout=5, json={"subject": ""})
    assert bad.status_code == 400
    assert {e["path"] for e in bad.json()["_embedded"]["errors"]} == {"subject", "mailboxId", "customer", "threads"}


def test_other_companies_are_invisible(helpscout, hs_admin):
    token = helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID)["access_token"]
    stranger = helpscout.add_user(email="eve@other.test", first_name="Eve", company_id=2)
    theirs = helpscout.add_conversation(company_id=2)
    assert _get(helpscout, f"/users/{stranger.id}", token).status_code == 404
    assert _get(helpscout, f"/conversations/{theirs}", token).status_code == 404


def test_faults_answer_instead(helpscout, hs_admin):
    token = helpscout.issue_tokens(user_id=hs_admin.id, client_id=CLIENT_ID)["access_token"]
    helpscout.fail_next(1, status=503, path_prefix="/v2/users")
    assert _get(helpscout, "/users/me", token).status_code == 503
    assert _get(helpscout, "/users/me", token).status_code == 200

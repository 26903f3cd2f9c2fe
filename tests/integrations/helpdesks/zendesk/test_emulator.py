"""The loopback Zendesk enforces Zendesk's OAuth rules, so our client's tests can fail for real."""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from backend.integrations.helpdesks.zendesk.emulator import ZendeskEmulator, s256

CLIENT, SECRET, SUB, REDIRECT = "zdg-emu", "emu-secret", "acme", "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def emu():
    with ZendeskEmulator() as emulator:
        yield emulator


@pytest.fixture
def admin(emu):
    emu.reset()
    emu.register_client(CLIENT, SECRET, redirect_uris=(REDIRECT,))
    return emu.add_user(SUB, email="ada@acme.test", name="Ada", role="admin")


def authorize(emu, admin, *, verifier: str | None = None, scope: str = "read write") -> str:
    params = {"response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT, "scope": scope,
              "state": "s1"}
    if verifier:
        params.update(code_challenge=s256(verifier), code_challenge_method="S256")
    callback = emu.approve(f"{emu.base_url(SUB)}/oauth/authorizations/new?{urlencode(params)}", user_id=admin.id)
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def token(emu, **body):
    return requests.post(f"{emu.base_url(SUB)}/oauth/tokens", json={"client_id": CLIENT, "client_secret": SECRET,
                                                                     **body}, timeout=5)


def exchange(emu, code, **extra):
    return token(emu, **{"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra})


def test_token_response_has_zendesk_shape_and_codes_are_single_use(emu, admin):
    code = authorize(emu, admin)
    first = exchange(emu, code)
    assert first.status_code == 200
    assert set(first.json()) == {"access_token", "token_type", "scope", "expires_in", "refresh_token",
                                 "refresh_token_expires_in"}
    again = exchange(emu, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_pkce_verifier_must_match(emu, admin):
    verifier = secrets.token_urlsafe(48)
    assert exchange(emu, authorize(emu, admin, verifier=verifier), code_verifier="wrong" * 10).status_code == 400
    assert exchange(emu, authorize(emu, admin, verifier=verifier)).status_code == 400, "verifier is required"
    assert exchange(emu, authorize(emu, admin, verifier=verifier), code_verifier=verifier).status_code == 200


def test_client_secret_and_redirect_uri_are_checked(emu, admin):
    code = authorize(emu, admin)
    bad_secret = requests.post(f"{emu.base_url(SUB)}/oauth/tokens", timeout=5, json={
        "grant_type": "authorization_code", "code": code, "client_id": CLIENT, "client_secret": "nope",
        "redirect_uri": REDIRECT})
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
    assert exchange(emu, authorize(emu, admin), redirect_uri="http://127.0.0.1:9/other").status_code == 400


def test_codes_expire_after_120_seconds(emu, admin):
    code = authorize(emu, admin)
    emu.advance_clock(121)
    assert exchange(emu, code).json()["error"] == "invalid_grant"


def test_refresh_rotates_and_the_old_pair_dies(emu, admin):
    pair = exchange(emu, authorize(emu, admin)).json()
    rotated = token(emu, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert rotated.status_code == 200
    me = f"{emu.base_url(SUB)}/api/v2/users/me.json"
    assert requests.get(me, headers={"Authorization": f"Bearer {pair['access_token']}"}, timeout=5).status_code == 401
    fresh = requests.get(me, headers={"Authorization": f"Bearer {rotated.json()['access_token']}"}, timeout=5)
    assert fresh.json()["user"]["id"] == admin.id and fresh.json()["user"]["role"] == "admin"
    reused = token(emu, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_read_scope_cannot_update_tickets(emu, admin):
    access = exchange(emu, authorize(emu, admin, scope="read")).json()["access_token"]
    ticket = emu.add_ticket(SUB)
    response = requests.put(f"{emu.base_url(SUB)}/api/v2/tickets/{ticket}.json", timeout=5,
                            headers={"Authorization": f"Bearer {access}"},
                            json={"ticket": {"comment": {"body": "x", "public": False}}})
    assert response.status_code == 403 and emu.comments(SUB, ticket) == []


def test_tokens_do_not_cross_subdomains(emu, admin):
    access = exchange(emu, authorize(emu, admin)).json()["access_token"]
    other = requests.get(f"{emu.base_url('other')}/api/v2/users/me.json", timeout=5,
                         headers={"Authorization": f"Bearer {access}"})
    assert other.status_code == 401


def test_ticket_creation_validates_like_zendesk_and_stores_nothing_when_refused(emu, admin):
    bearer = {"Authorization": "Bearer " + emu.issue_tokens(SUB, user_id=admin.id, client_id=CLIENT)["access_token"]}
    url = f"{emu.base_url(SUB)}/api/v2/tickets.json"
    blank = requests.post(url, json={"ticket": {"subject": "Hi"}}, headers=bearer, timeout=10)
    bad_email = requests.post(url, json={"ticket": {"subject": "Hi", "comment": {"body": "x"},
                                                    "requester": {"email": "nobody"}}}, headers=bearer, timeout=10)
    assert (blank.status_code, bad_email.status_code) == (422, 422)
    assert requests.post(url, json={"ticket": {"comment": {"body": "x"}}}, timeout=10).status_code == 401
    assert emu.state.tickets == {}
    made = requests.post(url, json={"ticket": {"subject": "Invoice", "comment": {"body": "Charged twice"},
                                               "requester": {"email": "Bea@Example.org", "name": "Bea"}}},
                         headers=bearer, timeout=10)
    assert made.status_code == 201
    ticket = made.json()["ticket"]
    requester = emu.state.users[(SUB, ticket["requester_id"])]
    assert (requester.email, requester.role, ticket["subject"]) == ("bea@example.org", "end-user", "Invoice")
    assert [c["body"] for c in emu.comments(SUB, ticket["id"])] == ["Charged twice"]

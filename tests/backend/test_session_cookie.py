"""The admin session cookie is only opened for requests that carry cookies."""
from __future__ import annotations

from flask import Flask, session

from backend.admin.session_cookie import SessionOnlyWithCookies


def test_a_request_without_cookies_never_builds_the_signer(app, client, monkeypatch):
    assert isinstance(app.session_interface, SessionOnlyWithCookies)

    def refuse(self, app_):
        raise AssertionError("the cookie signer was built for a request without cookies")

    monkeypatch.setattr(SessionOnlyWithCookies, "get_signing_serializer", refuse)
    response = client.get("/ping")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_session_cookie_is_still_read_and_a_forged_one_ignored():
    app = Flask("probe")
    app.secret_key = "probe-secret"
    app.config["SESSION_COOKIE_NAME"] = "chargedesk_session"
    app.session_interface = SessionOnlyWithCookies()

    @app.route("/_test/session/<action>")
    def _session_probe(action):
        if action == "set":
            session["who"] = "ada"
        return session.get("who", "nobody")

    with app.test_client() as first:
        assert first.get("/_test/session/set").text == "ada"
        assert first.get("/_test/session/read").text == "ada"  # the cookie came back and was read
    with app.test_client() as forged:
        forged.set_cookie("chargedesk_session", "eyJ3aG8iOiJldmUifQ.forged.signature")
        assert forged.get("/_test/session/read").text == "nobody"

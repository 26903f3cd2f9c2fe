"""Security headers (issue 21, section 6): no-store, nosniff, and no framing except sidebars.

Sidebars say who may frame them (their own frame-ancestors); every other answer, Flask's or a
hot path's, gets frame-ancestors 'none' and X-Frame-Options DENY.
"""
from __future__ import annotations

import pytest
from flask import Response
from werkzeug.test import Client

from backend.api.sidebar_hot_path import SidebarContextHotPath
from backend.web.hot_path import HotPath
from backend.web.security_headers import add_security_headers, framing_policy
from sidebar_apps.shell import render_shell
from tests.sidebar.conftest import agent_headers, mirror  # noqa: F401 (fixtures)


def assert_locked_down(resp, *, cache: str | None = "no-store"):
    assert resp.headers["X-Content-Type-Options"] == "nosniff", resp.headers
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], resp.headers
    assert resp.headers["X-Frame-Options"] == "DENY"
    if cache is not None:
        assert resp.headers["Cache-Control"] == cache, resp.headers


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api/v1/account", 200),
    ("GET", "/api/v1/customers", 200),
    ("GET", "/api/v1/customers/1", 404),
    ("GET", "/api/v1/audit?cursor=x", 422),
    ("GET", "/api/v1/nope", 404),
    ("GET", "/api/v1/openapi.json", 200),
    ("GET", "/webhooks/stripe/1", 405),
    ("POST", "/webhooks/stripe/1", 404),
])
def test_api_and_webhook_answers_are_not_stored_sniffed_or_framed(client, auth_headers, method, path, status):
    resp = client.open(path, method=method, headers=auth_headers)
    assert resp.status_code == status
    assert_locked_down(resp)


def test_api_answer_without_a_key_is_locked_down_too(client):
    resp = client.get("/api/v1/customers")
    assert resp.status_code == 401
    assert_locked_down(resp)


@pytest.mark.parametrize("path", ["/admin/sign-in", "/", "/api/v1/docs"])
def test_pages_are_not_stored_sniffed_or_framed(client, path):
    resp = client.get(path)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert_locked_down(resp)


def test_static_files_keep_their_cache_policy_and_get_nosniff(client):
    resp = client.get("/sidebar/static/sidebar.css")
    assert resp.status_code == 200
    assert_locked_down(resp, cache=None)
    assert resp.headers["Cache-Control"] != "no-store"  # static assets may be cached
    resp.close()


def test_a_sidebar_keeps_its_own_frame_ancestors(app):
    with app.test_request_context("/sidebar/zendesk", method="POST"):
        resp = app.process_response(render_shell(host="zendesk", token="sbt.abc", agent={"name": "A"},
                                                 location="ticket_sidebar"))
    policy = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://*.zendesk.com" in policy and "'none'" not in policy.split("frame-ancestors")[1]
    assert "X-Frame-Options" not in resp.headers
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Cache-Control"] == "no-store"


def test_any_view_that_names_its_frame_ancestors_is_left_framable(app):
    """The rule is generic: no list of hosts, whatever a sidebar view allows stands."""
    own = "default-src 'self'; frame-ancestors https://*.helpscout.net"
    with app.test_request_context("/sidebar/helpscout"):
        resp = add_security_headers(Response("x", headers={"Content-Security-Policy": own}))
    assert resp.headers["Content-Security-Policy"] == own and "X-Frame-Options" not in resp.headers


def test_a_policy_without_frame_ancestors_gets_none_added():
    assert framing_policy("default-src 'none'; script-src 'self';") == \
        "default-src 'none'; script-src 'self'; frame-ancestors 'none'"
    assert framing_policy(None) == "frame-ancestors 'none'"
    assert framing_policy("frame-ancestors 'self'") == "frame-ancestors 'self'"


class _Fixed(HotPath):
    def answer(self, environ):
        return b'{"ok": true}'


def _flask_says_no(environ, start_response):
    start_response("418 I'm a teapot", [("Content-Type", "text/plain")])
    return [b"flask"]


def test_a_hot_path_answer_carries_the_same_headers(app):
    resp = Client(_Fixed(app, _flask_says_no)).get("/anything")
    assert resp.status_code == 200
    assert_locked_down(resp)


@pytest.mark.parametrize("url", ["/x?email=a%00@b.example", "/x%00y", "/x?q=" + "a" * 9000])
def test_a_hot_path_hands_odd_requests_to_flask(app, url):
    resp = Client(_Fixed(app, _flask_says_no)).get(url)
    assert resp.status_code == 418 and resp.get_data() == b"flask"


def test_the_sidebar_hot_path_answer_is_locked_down(app, mirror, agent_headers):  # noqa: F811
    assert any(isinstance(layer, SidebarContextHotPath) for layer in _layers(app.wsgi_app))
    conn = mirror.connection(name="Main Stripe")
    mirror.customer(conn, "ada@example.com")
    headers = agent_headers()
    resp = app.test_client().get("/api/v1/sidebar/context?email=ada@example.com", headers=headers)
    assert resp.status_code == 200 and resp.get_json()
    assert_locked_down(resp)
    odd = app.test_client().get("/api/v1/sidebar/context?email=ada%00@example.com", headers=headers)
    assert odd.status_code == 400 and "NUL" in odd.get_json()["message"]  # Flask's edge check answered
    assert_locked_down(odd)


def _layers(wsgi_app):
    while wsgi_app is not None:
        yield wsgi_app
        wsgi_app = getattr(wsgi_app, "wrapped", None)


@pytest.mark.parametrize("kind, ancestor", [("zendesk", "https://*.zendesk.com"), ("helpscout", "helpscout")])
def test_a_sidebar_refusal_page_can_be_framed_by_its_helpdesk(client, kind, ancestor):
    """An unverified load gets a message the agent can read inside the helpdesk's frame."""
    resp = client.post(f"/sidebar/{kind}", data={"token": "not-a-token"})
    assert resp.status_code == 401
    policy = resp.headers["Content-Security-Policy"]
    framers = policy.split("frame-ancestors")[1]
    assert ancestor in framers and "'none'" not in framers, policy
    assert "X-Frame-Options" not in resp.headers and resp.headers["Cache-Control"] == "no-store"


def test_an_unknown_helpdesk_page_is_not_framable(client):
    resp = client.post("/sidebar/nohelpdesk")
    assert resp.status_code == 404 and "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]

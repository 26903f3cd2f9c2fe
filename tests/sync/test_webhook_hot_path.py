"""The webhook hot path (in front of Flask) stores what the Flask route would, and hands it the rest.

Stored deliveries must be answered by the hot path itself, with the Flask route's exact answer;
every rejection must be Flask's own answer (status, headers, body), with nothing stored.
"""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select
from werkzeug.test import Client

from backend.db import session
from backend.models import InboundWebhook
from backend.sync.webhook_hot_path import WebhookHotPath

from .test_webhook_route import SECRET, _sign


@pytest.fixture
def paths(app, monkeypatch):
    """(through the hot path, through Flask alone, paths of the requests the hot path handed over)."""
    hot = app.wsgi_app
    while not isinstance(hot, WebhookHotPath):
        hot = hot.wrapped
    flask_only = hot.wrapped
    handed_over: list[str] = []

    def recording(environ, start_response):
        handed_over.append(environ["PATH_INFO"])
        return flask_only(environ, start_response)

    monkeypatch.setattr(hot, "wrapped", recording)
    return Client(app), Client(flask_only), handed_over


def event(event_id: str, type_: str = "issuing_card.created") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": type_, "created": 1767225600,
                       "data": {"object": {"id": "ic_1", "object": "issuing_card"}}}).encode()


def answer(client, path: str, body: bytes, headers: dict) -> tuple:
    resp = client.post(path, data=body, headers={"Content-Type": "application/json", **headers})
    return resp.status_code, resp.headers.get("Content-Type"), resp.headers.get("Content-Length"), resp.get_data()


def stored() -> int:
    session().expire_all()
    return session().scalar(select(func.count()).select_from(InboundWebhook))


def test_a_delivery_is_stored_by_the_hot_path_with_flasks_answer(paths, stripe_connection):
    through_hot_path, flask_alone, handed_over = paths
    path = f"/webhooks/stripe/{stripe_connection.id}"
    first, second = event("evt_hot_1"), event("evt_hot_2")
    hot = answer(through_hot_path, path, first, {"Stripe-Signature": _sign(first)})
    plain = answer(flask_alone, path, second, {"Stripe-Signature": _sign(second)})
    assert hot == plain and hot[0] == 200 and json.loads(hot[3]) == {"received": True, "duplicate": False}
    again_hot = answer(through_hot_path, path, first, {"Stripe-Signature": _sign(first)})
    again_plain = answer(flask_alone, path, first, {"Stripe-Signature": _sign(first)})
    assert again_hot == again_plain and json.loads(again_hot[3])["duplicate"] is True
    assert handed_over == [] and stored() == 2
    row = session().scalars(select(InboundWebhook).where(InboundWebhook.event_id == "evt_hot_1")).one()
    assert row.body == first and row.headers["Stripe-Signature"].startswith("t=")
    assert row.headers["Content-Type"] == "application/json"


def test_every_rejection_is_flasks_own_answer_and_stores_nothing(paths, stripe_connection):
    through_hot_path, flask_alone, handed_over = paths
    path = f"/webhooks/stripe/{stripe_connection.id}"
    body = event("evt_rejected")
    cases = {
        "tampered": (path, body + b" ", {"Stripe-Signature": _sign(body)}),
        "wrong secret": (path, body, {"Stripe-Signature": _sign(body, secret=SECRET + "x")}),
        "stale": (path, body, {"Stripe-Signature": _sign(body, t=1_000_000_000)}),
        "no signature": (path, body, {}),
        "not JSON": (path, b"{nope", {"Stripe-Signature": _sign(b"{nope")}),
        "unknown connection": ("/webhooks/stripe/999999", body, {"Stripe-Signature": _sign(body)}),
        "other kind": (f"/webhooks/braintree/{stripe_connection.id}", body, {"Stripe-Signature": _sign(body)}),
    }
    for name, (url, data, headers) in cases.items():
        hot, plain = answer(through_hot_path, url, data, headers), answer(flask_alone, url, data, headers)
        assert hot == plain, name
        assert hot[0] in (400, 404) and json.loads(hot[3])["message"], name
    assert handed_over == [url for url, _, _ in cases.values()]
    assert stored() == 0


def test_bodies_it_cannot_take_whole_go_to_flask_unread(paths, app, stripe_connection, monkeypatch):
    through_hot_path, _, handed_over = paths
    path = f"/webhooks/stripe/{stripe_connection.id}"
    body = event("evt_big")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", len(body) - 1)
    assert answer(through_hot_path, path, body, {"Stripe-Signature": _sign(body)})[0] == 413
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 5 * 1024 * 1024)
    chunked = through_hot_path.post(path, input_stream=io.BytesIO(body), headers={
        "Content-Type": "application/json", "Stripe-Signature": _sign(body), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})  # as gunicorn marks a chunked body
    assert chunked.status_code == 200  # Flask took it
    assert handed_over == [path, path] and stored() == 1


def test_an_unexpected_failure_is_retried_by_flask(paths, stripe_connection, monkeypatch):
    from backend.sync import webhook_hot_path

    through_hot_path, _, handed_over = paths
    calls = []

    def flaky(*args):
        calls.append(1)
        raise ConnectionError("database went away")

    monkeypatch.setattr(webhook_hot_path, "accept", flaky)
    path = f"/webhooks/stripe/{stripe_connection.id}"
    body = event("evt_flaky")
    status, *_ = answer(through_hot_path, path, body, {"Stripe-Signature": _sign(body)})
    assert status == 200 and calls == [1] and handed_over == [path] and stored() == 1

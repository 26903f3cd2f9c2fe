"""The sidebar context's hot path (answered in front of Flask) must say exactly what the Flask route says.

Each request goes once through the whole app (hot path first) and once to Flask alone; status,
headers and body must be identical. The hot path must have answered the successes itself, and
handed every other case to Flask.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import update
from werkzeug.test import Client

from backend.api.sidebar_hot_path import SidebarContextHotPath
from backend.db import transaction
from backend.models import User

PATH = "/api/v1/sidebar/context"


@pytest.fixture
def paths(app, monkeypatch):
    """(through the hot path, through Flask alone, the requests Flask got from the hot path)."""
    hot = app.wsgi_app
    while not isinstance(hot, SidebarContextHotPath):  # other hot paths may sit in front of it
        hot = hot.wrapped
    flask_only = hot.wrapped
    handed_over: list[str] = []

    def recording(environ, start_response):
        handed_over.append(environ.get("QUERY_STRING", ""))
        return flask_only(environ, start_response)

    monkeypatch.setattr(hot, "wrapped", recording)
    return Client(app), Client(flask_only), handed_over


def both(paths, query: str, headers: dict) -> tuple:
    through_hot_path, flask_alone, _ = paths
    answers = []
    for client in (through_hot_path, flask_alone):
        resp = client.get(f"{PATH}?{query}", headers=headers)
        answers.append((resp.status_code, resp.headers.get("Content-Type"), resp.headers.get("Content-Length"),
                        resp.headers.get("WWW-Authenticate"), resp.get_data()))
    assert answers[0] == answers[1]
    return answers[0]


@pytest.fixture
def billing(mirror):
    stripe, braintree = mirror.connection(name="Main Stripe"), mirror.connection(kind="braintree", name="BT")
    cus, ada = mirror.customer(stripe, "ada@example.com", "ada@work.example")
    mirror.charge(stripe, cus, 2000, refunded=500)
    mirror.subscription(stripe, cus, plan="Gold")
    _, sam_one = mirror.customer(stripe, "sam@example.com", name="Sam S")
    _, sam_two = mirror.customer(braintree, "sam@example.com", name="Sam B")
    return {"ada": ada, "sam": (sam_one, sam_two)}


def test_successful_views_come_from_the_hot_path_and_equal_flasks(paths, billing, agent_headers):
    _, _, handed_over = paths
    sam_two = billing["sam"][1]
    for role in ("agent", "viewer"):
        headers = agent_headers(role)
        for query in ("email=ada%40example.com&ticket=81", "email=ADA@Work.Example", "email=sam@example.com",
                      f"email=sam@example.com&customer_id={sam_two}", "email=ada@example.com&email=sam@example.com",
                      "email=nobody@example.com", f"customer_id={billing['ada']}", "email=+ada@example.com+",
                      "email=%ZZada@example.com", "email=ada%FF@example.com;x=1"):
            status, content_type, *_ , body = both(paths, query, headers)
            assert status == 200 and content_type == "application/json" and body.startswith(b'{"query"'), query
    assert handed_over == []


def test_every_error_is_handed_to_flask(paths, billing, agent_headers, account):
    _, _, handed_over = paths
    headers = agent_headers()
    cases = {
        "email=not-an-email": 422,
        "": 422,
        "email=ada@example.com&customer_id=abc": 422,
        "customer_id=999999": 404,
        "&".join(f"email=u{i}@example.com" for i in range(21)): 422,
    }
    for query, expected in cases.items():
        assert both(paths, query, headers)[0] == expected, query
    assert handed_over == list(cases)


def test_refused_agents_and_tokens_are_flasks_401(paths, billing, agent_headers):
    _, _, handed_over = paths
    headers = agent_headers()
    assert both(paths, "email=ada@example.com", headers)[0] == 200
    with transaction() as s:
        s.execute(update(User).where(User.email.like("agent%")).values(disabled_at=datetime.now(timezone.utc)))
    status, _, _, challenge, body = both(paths, "email=ada@example.com", headers)
    assert status == 401 and challenge and b'"code":401' in body.replace(b" ", b"")
    head, _, signature = headers["Authorization"].rpartition(".")
    forged = {"Authorization": f"{head}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"}
    assert both(paths, "email=ada@example.com", forged)[0] == 401
    assert handed_over == ["email=ada@example.com", "email=ada@example.com"]


def test_other_methods_paths_and_api_keys_go_to_flask(paths, billing, auth_headers, agent_headers):
    through_hot_path, _, handed_over = paths
    assert through_hot_path.get(f"{PATH}?email=ada@example.com", headers=auth_headers).status_code == 200
    assert through_hot_path.head(f"{PATH}?email=ada@example.com", headers=agent_headers()).status_code == 200
    assert through_hot_path.get("/ping").status_code == 200
    assert len(handed_over) == 3


def test_an_unexpected_failure_is_retried_by_flask(paths, billing, agent_headers, monkeypatch):
    from backend.api import sidebar_hot_path

    _, _, handed_over = paths
    calls = []

    def flaky(engine, claims, args):
        calls.append(1)
        raise ConnectionError("database went away")

    monkeypatch.setattr(sidebar_hot_path, "context_in_one_round_trip", flaky)
    through_hot_path = paths[0]
    resp = through_hot_path.get(f"{PATH}?email=ada@example.com", headers=agent_headers())
    assert resp.status_code == 200 and resp.get_json()["selected_id"] == billing["ada"]
    assert calls == [1] and handed_over == ["email=ada@example.com"]

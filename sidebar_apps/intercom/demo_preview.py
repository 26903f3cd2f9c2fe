"""GET /demo/intercom: a demo conversation with our canvas beside it, rendered by static/canvas.js;
POST /demo/intercom/canvas: the page's clicks (demo, test and development only). This module plays
Intercom: it builds the Initialize/Submit body, signs it with the installation's client secret and
answers what our endpoint answers."""
from __future__ import annotations

import hashlib
import hmac
import json

from flask import Response, abort, current_app, jsonify, render_template_string, request
from sqlalchemy import select

from backend.db import session
from backend.models import HelpdeskInstallation

PAGE = """<!doctype html><html lang=en><meta charset=utf-8><title>Intercom preview · ChargeDesk demo</title>
<link rel=stylesheet href="{{ url_for('intercom_sidebar.static', filename='preview.css') }}">
<header>Intercom inbox (demo preview) · <a href="/demo/zendesk">Zendesk preview</a> · <a href="/demo/helpscout">Help Scout preview</a></header>
<div class=ic-layout><nav>{% for c in conversations %}<a href="?conversation={{ c.id }}&agent={{ agent.intercom_id }}"
 {% if c.id == current.id %}class=current{% endif %}>{{ c.name }}<small>{{ c.email }}</small></a>{% endfor %}
<p>Acting as: {% for a in agents %}<a href="?conversation={{ current.id }}&agent={{ a.intercom_id }}"
 {% if a.intercom_id == agent.intercom_id %}class=current{% endif %}>{{ a.name }}</a> {% endfor %}</p></nav>
<main><h1>Billing question from {{ current.name }}</h1><p>{{ current.email }}</p></main>
<aside class=ic-app data-status="{{ status }}"><div id=canvas></div></aside></div>
<script type=application/json id=canvas-data>{{ answer|tojson }}</script>
<script type=application/json id=canvas-context>{{ context|tojson }}</script>
<script src="{{ url_for('intercom_sidebar.static', filename='canvas.js') }}"></script>
<script src="{{ url_for('intercom_sidebar.static', filename='preview.js') }}"></script></html>"""


def preview() -> Response:
    installation, demo = _demo()
    current = _pick(demo["conversations"], request.args.get("conversation"))
    agent = _pick(demo["agents"], request.args.get("agent"), key="intercom_id")
    status, answer = _play(installation, current, agent, None)
    page = render_template_string(PAGE, conversations=demo["conversations"], current=current, agents=demo["agents"],
                                  agent=agent, status=status, answer=answer,
                                  context={"conversation": current["id"], "agent": agent["intercom_id"]})
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-store"})


def click() -> Response:
    """The page's click: {conversation, agent, component_id, input_values, stored_data} -> the canvas."""
    installation, demo = _demo()
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("component_id"), str):
        return jsonify({"error": "send JSON with component_id"}), 400
    current = _pick(demo["conversations"], str(data.get("conversation")))
    agent = _pick(demo["agents"], str(data.get("agent")), key="intercom_id")
    status, answer = _play(installation, current, agent, data)
    return jsonify(answer), status


def _play(installation, current: dict, agent: dict, clicked: dict | None) -> tuple[int, dict]:
    body: dict = {"workspace_id": installation.external_id, "workspace_region": "us",
                  "admin": {"type": "admin", "id": agent["intercom_id"], "name": agent["name"]},
                  "context": {"conversation_id": current["id"], "location": "conversation"},
                  "conversation": {"type": "conversation", "id": current["id"]},
                  "contact": {"type": "contact", "email": current["email"]}}
    path = "/sidebar/intercom/initialize"
    if clicked is not None:
        path = "/sidebar/intercom/submit"
        body.update(component_id=clicked["component_id"], input_values=_dict(clicked.get("input_values")),
                    current_canvas={"content": {"components": []}, "stored_data": _dict(clicked.get("stored_data"))})
    raw = json.dumps(body).encode()
    signature = hmac.new(installation.credentials["client_secret"].encode(), raw, hashlib.sha256).hexdigest()
    answer = current_app.test_client().post(path, data=raw, headers={"X-Body-Signature": signature,
                                                                     "Content-Type": "application/json"})
    return answer.status_code, answer.get_json(silent=True) or {}


def _demo():
    installation = session().scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == "intercom", HelpdeskInstallation.settings["demo"].isnot(None))).first()
    if installation is None:
        abort(404)
    return installation, installation.settings["demo"]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _pick(items: list[dict], wanted: str | None, key: str = "id") -> dict:
    return next((item for item in items if str(item[key]) == (wanted or "")), items[0])

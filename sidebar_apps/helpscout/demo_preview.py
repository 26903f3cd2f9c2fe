"""GET /demo/helpscout[/<conversation>]: the legacy dynamic app's sidebar beside a demo conversation
(demo, test and development only). The page plays Help Scout: it signs the dynamic app's JSON body
with the installation's secret key and answers what our endpoint answers, as Help Scout would show it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from flask import Response, abort, current_app, render_template_string, request
from markupsafe import Markup
from sqlalchemy import select

from backend.db import session
from backend.models import HelpdeskInstallation

PAGE = """<!doctype html><html lang=en><meta charset=utf-8><title>Help Scout preview · ChargeDesk demo</title>
<link rel=stylesheet href="{{ url_for('helpscout_sidebar.static', filename='preview.css') }}">
<header>Help Scout (demo preview) · <a href="/demo/zendesk">Zendesk preview</a></header>
<div class=hs-layout><nav>{% for c in conversations %}<a href="?conversation={{ c.id }}&agent={{ agent.helpscout_id }}"
 {% if c.id == current.id %}class=current{% endif %}>{{ c.name }}<small>{{ c.email }}</small></a>{% endfor %}
<p class=hs-agents>Acting as: {% for a in agents %}<a href="?conversation={{ current.id }}&agent={{ a.helpscout_id }}"
 {% if a.helpscout_id == agent.helpscout_id %}class=current{% endif %}>{{ a.name }}</a> {% endfor %}</p></nav>
<main><h1>{{ current.subject }}</h1><p>From {{ current.name }} &lt;{{ current.email }}&gt;</p></main>
<aside class=hs-sidebar data-status="{{ status }}">{{ sidebar }}</aside></div></html>"""


def preview() -> Response:
    installation = session().scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == "helpscout", HelpdeskInstallation.settings["demo"].isnot(None))).first()
    if installation is None:
        abort(404)
    demo = installation.settings["demo"]
    conversations = [dict(c, subject=f"Billing question from {c['name']}") for c in demo["conversations"]]
    current = _pick(conversations, request.args.get("conversation"))
    agent = _pick(demo["agents"], request.args.get("agent"), key="helpscout_id")
    body = json.dumps({"ticket": {"id": current["id"], "number": current["id"] % 100000, "subject": current["subject"]},
                       "customer": {"email": current["email"], "emails": [current["email"]]},
                       "user": {"id": agent["helpscout_id"], "role": "user"},
                       "mailbox": {"id": 1, "email": "help@demo.example"}}).encode()
    secret = installation.credentials["secret_key"].encode()
    signature = base64.b64encode(hmac.new(secret, body, hashlib.sha1).digest()).decode()
    answer = current_app.test_client().post(f"/sidebar/helpscout/dynamic?app={installation.external_id}", data=body,
                                            headers={"X-HelpScout-Signature": signature,
                                                     "Content-Type": "application/json"})
    html = (answer.get_json(silent=True) or {}).get("html", "")
    page = render_template_string(PAGE, conversations=conversations, current=current, agents=demo["agents"],
                                  agent=agent, sidebar=Markup(html), status=answer.status_code)
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _pick(items: list[dict], wanted: str | None, key: str = "id") -> dict:
    return next((item for item in items if str(item[key]) == (wanted or "")), items[0])

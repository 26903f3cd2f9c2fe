"""The sidebar shell page, the ZAF SDK route, and the demo host harness (seed, JWT, pages)."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from backend import create_app
from backend.accounts import add_user
from backend.db import transaction
from backend.models import AgentIdentity, HelpdeskInstallation
from sidebar_apps.zendesk import demo_host, zaf_sdk
from sidebar_apps.shell import render_shell

HOSTILE = '</script><script>alert(1)</script>'


def _config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="cd-config">(.*?)</script>', html, re.S)
    assert match, "the shell carries its config as JSON"
    return json.loads(match.group(1))


def test_shell_carries_the_token_safely_and_locks_itself_down(app):
    with app.test_request_context("/sidebar/zendesk", method="POST"):
        resp = render_shell(host="zendesk", token="sbt.abc", agent={"name": HOSTILE, "role": "agent"},
                            location="ticket_sidebar")
    html = resp.get_data(as_text=True)
    assert "<script>alert(1)" not in html  # the agent's name cannot close the JSON script
    config = _config(html)
    assert config["token"] == "sbt.abc" and config["agent"]["name"] == HOSTILE and config["host"] == "zendesk"
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Referrer-Policy"] == "no-referrer"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'self' https://*.zendesk.com" in csp
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts[-1].endswith("/sidebar/zendesk/static/zendesk.js") and "/sidebar/static/sidebar.js" in scripts
    with pytest.raises(ValueError):
        with app.test_request_context("/"):
            render_shell(host="nowhere", token="t", agent={}, location="ticket_sidebar")


def test_sdk_comes_from_the_npm_package_else_the_cdn(app, client, monkeypatch, tmp_path):
    if zaf_sdk.installed():
        body = client.get("/sidebar/vendor/zaf_sdk.js")
        assert body.status_code == 200 and "window.ZAFClient = require('./index')" in body.text
        assert "iframe.handshake" in body.text  # the SDK's own client code, wrapped unchanged
        with app.test_request_context("/"):
            assert zaf_sdk.script_url() == "/sidebar/vendor/zaf_sdk.js"
    monkeypatch.setattr(zaf_sdk, "PACKAGE_DIR", tmp_path / "absent")
    assert client.get("/sidebar/vendor/zaf_sdk.js").status_code == 404
    with app.test_request_context("/"):
        assert zaf_sdk.script_url() == zaf_sdk.CDN_URL


def test_demo_routes_exist_only_in_demo_like_environments(app, app_settings):
    assert "demo_host.harness" in app.view_functions  # the test env has them
    production = create_app({**app_settings, "ENV": "production"})
    assert "demo_host.harness" not in production.view_functions
    assert "sidebar_shell.static" in production.view_functions


@pytest.fixture
def seeded(account, ctx):
    with transaction() as s:
        agent = add_user(s, account, email="alex@acme.test", role="agent", name="Alex Agent")
        result = demo_host.seed_zendesk_demo(s, account, subdomain="acme-harness")
    result["agent"] = next(a for a in result["agents"] if a["user_id"] == agent.id)
    return result


def test_seed_makes_an_installation_the_harness_can_sign_for(seeded, account):
    from backend.db import session

    installation = session().get(HelpdeskInstallation, seeded["installation_id"])
    assert (installation.kind, installation.external_id, installation.account_id) == ("zendesk", "acme-harness", account.id)
    token = demo_host.mint_app_jwt(installation, zendesk_user_id=seeded["agent"]["id"], location="ticket_sidebar")
    aud = f"https://acme-harness.zendesk.com/api/v2/apps/installations/{seeded['app_installation_id']}.json"
    claims = jwt.decode(token, installation.settings["public_key_pem"], algorithms=["RS256"], audience=aud)
    assert claims["iss"] == "acme-harness.zendesk.com" and claims["sub"] == str(seeded["agent"]["id"])
    assert claims["context"] == {"product": "support", "location": "ticket_sidebar"}
    identities = session().query(AgentIdentity).filter_by(installation_id=installation.id).count()
    assert identities == len(seeded["agents"]) == 2
    assert seeded["tickets"][-1]["requester"]["email"] == "new.person@example.org"  # the empty-state ticket


def test_harness_page_posts_a_verifiable_token_into_the_sidebar(client, seeded):
    ticket = seeded["tickets"][0]["id"]
    page = client.get(f"/demo/zendesk/{seeded['installation_id']}/tickets/{ticket}?agent={seeded['agent']['id']}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    action = unescape(re.search(r'<form id="zaf-launch" method="post" target="zaf-app" action="([^"]+)"', page.text).group(1))
    query = parse_qs(urlsplit(action).query)
    assert urlsplit(action).path == "/sidebar/zendesk" and query["origin"] == ["http://localhost"] and query["app_guid"]
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    shell = client.post(action, data={"token": token})
    assert shell.status_code == 200, shell.text
    sidebar_token = _config(shell.text)["token"]
    assert sidebar_token.startswith("sbt.")
    context = client.get("/api/v1/sidebar/context?email=nobody@example.com",
                         headers={"Authorization": f"Bearer {sidebar_token}"})
    assert context.status_code == 200 and context.get_json()["agent"]["name"] == "Alex Agent"


def test_harness_refuses_unknown_tickets_agents_and_installations(client, seeded):
    base = f"/demo/zendesk/{seeded['installation_id']}/tickets"
    assert client.get(f"{base}/999999").status_code == 404
    assert client.get(f"{base}/{seeded['tickets'][0]['id']}?agent=1").status_code == 404
    assert client.get(f"/demo/zendesk/{seeded['installation_id'] + 1}/tickets/1").status_code == 404
    index = client.get("/demo/zendesk")
    assert index.status_code == 200 and "acme-harness.zendesk.com" in index.text and "Alex Agent (agent)" in index.text


def test_generic_view_answers_an_unknown_helpdesk_with_a_404_page(client):
    response = client.post("/sidebar/nodesk", data={"token": "x"})
    assert response.status_code == 404 and "No such helpdesk" in response.text and "sbt." not in response.text


def test_zendesk_host_script_is_served_from_its_own_folder(client):
    script = client.get("/sidebar/zendesk/static/zendesk.js")
    assert script.status_code == 200 and "ZAFClient" in script.text
    assert client.get("/sidebar/static/hosts/zendesk.js").status_code == 404

"""The demo runs on SQLite: the same context API and harness work there (no pipelining, same view)."""
from __future__ import annotations

import pytest

from backend import create_app, db, schema
from backend.db import transaction


@pytest.fixture
def sqlite_app(app_settings, tmp_path):
    demo = create_app({**app_settings, "ENV": "demo", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
                       "REDIS_URL": "", "INSTANCE_PATH": str(tmp_path)})
    with demo.app_context():
        schema.upgrade(db.engine())
    return demo


def test_context_and_harness_on_sqlite(sqlite_app):
    from backend.accounts import add_user, create_account
    from sidebar_apps.zendesk.demo_host import seed_zendesk_demo
    from tests.sidebar.conftest import Mirror

    with sqlite_app.app_context():
        with transaction() as s:
            account = create_account(s, name="Demo", slug="demo")
            add_user(s, account, email="alex@demo.example", role="agent", name="Alex Agent")
        mirror = Mirror(account)
        conn = mirror.connection()
        cus, cus_id = mirror.customer(conn, "ada@example.com", "ada@work.example")
        charge, _ = mirror.charge(conn, cus, 2000, refunded=500)
        mirror.refund(conn, charge, 500)
        mirror.customer(conn, "sam@example.com")
        mirror.customer(mirror.connection(kind="braintree", name="BT"), "sam@example.com")
        with transaction() as s:
            seeded = seed_zendesk_demo(s, account)
    client = sqlite_app.test_client()
    assert [t["requester"]["email"] for t in seeded["tickets"]][:2] == ["ada@example.com", "sam@example.com"]
    page = client.get(f"/demo/zendesk/{seeded['installation_id']}/tickets/{seeded['tickets'][0]['id']}")
    import re
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    action = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    shell = client.post(action, data={"token": token})
    sidebar_token = re.search(r'"token": "(sbt\.[^"]+)"', shell.text).group(1)
    headers = {"Authorization": f"Bearer {sidebar_token}"}
    view = client.get("/api/v1/sidebar/context?email=ADA@work.example&ticket=1001", headers=headers).get_json()
    assert view["selected_id"] == cus_id and view["customer"]["charges"][0]["refundable_display"] == "$15.00"
    assert view["customer"]["charges"][0]["refunds"][0]["external"] is True
    chooser = client.get("/api/v1/sidebar/context?email=sam@example.com", headers=headers).get_json()
    assert chooser["customer"] is None and len(chooser["matches"]) == 2


def test_a_read_only_token_reads_the_context_on_sqlite_and_nothing_else(sqlite_app):
    """The session path of the context route (the demo): a read-only token sees billing, no actions."""
    from backend.accounts import create_account
    from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token
    from backend.models import HelpdeskInstallation
    from tests.sidebar.conftest import Mirror

    with sqlite_app.app_context():
        with transaction() as s:
            account = create_account(s, name="Demo", slug="demo")
            installation = HelpdeskInstallation(account_id=account.id, kind="zendesk", external_id="demo")
            s.add(installation)
            s.flush()
        mirror = Mirror(account)
        conn = mirror.connection()
        cus, cus_id = mirror.customer(conn, "ada@example.com")
        mirror.charge(conn, cus, 2000)
        token = mint_sidebar_token(SidebarClaims(account_id=account.id, installation_id=installation.id,
                                                 user_id=None, host="zendesk", external_user_id="77"))
    client = sqlite_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.get("/api/v1/sidebar/context?email=ada@example.com", headers=headers)
    assert resp.status_code == 200, resp.text
    view = resp.get_json()
    assert view["selected_id"] == cus_id and view["agent"]["can_act"] is False
    assert not view["customer"]["charges"][0]["actions"]
    refused = client.post("/api/v1/actions", json={"kind": "refund"}, headers=headers)
    assert refused.status_code == 403 and "link your account" in refused.get_json()["message"]
    with sqlite_app.app_context():
        with transaction() as s:
            s.get(HelpdeskInstallation, installation.id).status = "reconnect_required"
    assert client.get("/api/v1/sidebar/context?email=ada@example.com", headers=headers).status_code == 401

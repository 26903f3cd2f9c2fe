"""GET /api/v1/audit: filters, cursor pages, CSV export, and who may read it."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from backend import audit
from backend.db import transaction
from backend.models import AuditEntry

AGENT = {"kind": "sidebar", "role": "agent", "name": "Ann Agent", "user_id": 41,
         "helpdesk": {"kind": "zendesk", "installation_id": 1, "external_user_id": "zd-7"}}
ADMIN = {"kind": "session", "role": "admin", "name": "=HYPERLINK(\"http://evil\")", "user_id": 42}


@pytest.fixture
def trail(ctx, account):
    """Entry 1 (user added, fixture), then refunds and a capture by two people for two customers."""
    rows = [(AGENT, "refund", 7, 500), (AGENT, "capture", 8, 900), (ADMIN, "refund", 8, 1200),
            (AGENT, "refund", 7, 300)]
    with transaction() as s:
        for n, (actor, kind, customer, amount) in enumerate(rows):
            audit.append(s, account_id=account.id, event="action.requested", actor=actor, reason="duplicate",
                         subject_type="action_run", subject_id=f"run-{n}", customer_id=customer,
                         details={"kind": kind, "params": {"amount": amount, "currency": "USD"},
                                  "summary": f"{kind} {amount}"},
                         source={"host": "zendesk", "ticket_id": f"T{n}", "ip": "10.0.0.9"})
        audit.append(s, account_id=account.id, event="action.succeeded", actor={"kind": "system"},
                     subject_type="action_run", subject_id="run-0", customer_id=7, details={"kind": "refund"})
    return account


def _get(client, headers, query=""):
    resp = client.get(f"/api/v1/audit{query}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_newest_first_with_everything_recorded(client, auth_headers, trail):
    data = _get(client, auth_headers)["data"]
    assert [e["seq"] for e in data] == [6, 5, 4, 3, 2, 1]
    first_refund = data[-2]
    assert first_refund["actor"]["helpdesk"]["external_user_id"] == "zd-7"
    assert first_refund["source"] == {"host": "zendesk", "ticket_id": "T0", "ip": "10.0.0.9"}
    assert first_refund["details"]["params"] == {"amount": 500, "currency": "USD"}
    assert first_refund["reason"] == "duplicate" and len(first_refund["entry_hash"]) == 64


@pytest.mark.parametrize("query, seqs", [
    ("?user_id=41", [5, 3, 2]),
    ("?kind=refund", [6, 5, 4, 2]),
    ("?kind=refund&user_id=41", [5, 2]),
    ("?customer_id=8", [4, 3]),
    ("?event=action.succeeded", [6]),
    ("?event=settings.*", [1]),
])
def test_filters(client, auth_headers, trail, query, seqs):
    assert [e["seq"] for e in _get(client, auth_headers, query)["data"]] == seqs


def test_date_range(client, auth_headers, trail):
    old = datetime(2020, 1, 1, tzinfo=timezone.utc)
    with transaction() as s:  # created_at is part of the hash: this also breaks the chain, on purpose
        s.execute(update(AuditEntry).where(AuditEntry.seq <= 2).values(created_at=old))
    assert [e["seq"] for e in _get(client, auth_headers, "?until=2021-01-01T00:00:00Z")["data"]] == [2, 1]
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert [e["seq"] for e in _get(client, auth_headers, f"?since={since}")["data"]] == [6, 5, 4, 3]
    bad = client.get("/api/v1/audit?since=2022-01-01T00:00:00Z&until=2021-01-01T00:00:00Z", headers=auth_headers)
    assert bad.status_code == 422


def test_cursor_pagination_walks_everything_once(client, auth_headers, trail):
    seen, cursor = [], None
    while True:
        page = _get(client, auth_headers, "?limit=4" + (f"&cursor={cursor}" if cursor else ""))
        seen += [e["seq"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [6, 5, 4, 3, 2, 1]
    assert client.get("/api/v1/audit?cursor=abc", headers=auth_headers).status_code == 422


def test_csv_export_is_filtered_and_spreadsheet_safe(client, auth_headers, trail):
    for path in ("/api/v1/audit?format=csv&kind=refund", "/api/v1/audit.csv?kind=refund"):
        resp = client.get(path, headers=auth_headers)
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        assert [r["seq"] for r in rows] == ["2", "4", "5", "6"]  # oldest first
        assert rows[0]["amount"] == "500" and rows[0]["ticket_id"] == "T0" and rows[0]["kind"] == "refund"
        assert rows[1]["actor_name"].startswith("'=HYPERLINK")  # never a live formula in Excel


def test_agents_cannot_read_the_trail(client, trail):
    from backend.accounts import add_user
    from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token
    from backend.models import HelpdeskInstallation

    with transaction() as s:
        user = add_user(s, trail, email="agent@acme.test", role="agent")
        inst = HelpdeskInstallation(account_id=trail.id, kind="zendesk", external_id="acme", status="active")
        s.add(inst)
        s.flush()
    token = mint_sidebar_token(SidebarClaims(trail.id, inst.id, user.id, "zendesk", "zd-1"))
    resp = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403
    assert client.get("/api/v1/audit").status_code == 401

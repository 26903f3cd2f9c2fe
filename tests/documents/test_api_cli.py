"""The documents API (tenant-scoped, clear 4xx) and the operator commands."""
from __future__ import annotations

from sqlalchemy import select

from backend.accounts import create_account
from backend.auth.api_keys import create_api_key
from backend.db import session, transaction
from backend.documents.delivery import send_document
from backend.documents.tasks import issue_document
from backend.models import AuditEntry
from tests.conftest import run_cli, wait_for
from tests.mail.smtp_server import LoopbackSmtpServer

from .conftest import HISTORY, charge, customer, documents, refund, write


def _issue_some(connection):
    write(connection, customer(), customer("cus_2", email="b@example.com"), charge("ch_1", 1000),
          charge("ch_2", 2000, customer_id="cus_2"), refund("re_1", "ch_1", 400))
    for key in (["receipt", connection.id, "ch_1"], ["receipt", connection.id, "ch_2"],
                ["credit_note", connection.id, "re_1"]):
        issue_document(key)
    return {d.display_number: d for d in documents()}


def test_list_filters_and_pages(app, connection, client, auth_headers):
    docs = _issue_some(connection)
    every = client.get("/api/v1/documents", headers=auth_headers).get_json()["data"]
    assert sorted(d["number"] for d in every) == sorted(docs)
    receipt_1 = next(d for d in docs.values() if d.kind == "receipt" and d.total_minor == 1000)

    def numbers(query):
        resp = client.get(f"/api/v1/documents?{query}", headers=auth_headers)
        assert resp.status_code == 200, resp.get_json()
        return sorted(d["number"] for d in resp.get_json()["data"])

    assert numbers("kind=credit_note") == [d.display_number for d in docs.values() if d.kind == "credit_note"]
    assert numbers(f"charge_id={receipt_1.charge_id}") == sorted(
        n for n, d in docs.items() if d.charge_id == receipt_1.charge_id)
    assert numbers(f"customer_id={receipt_1.customer_id}&kind=receipt") == [receipt_1.display_number]
    assert numbers(f"number={receipt_1.display_number}") == [receipt_1.display_number]
    assert numbers("since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z") == []
    page = client.get("/api/v1/documents?limit=2", headers=auth_headers).get_json()
    rest = client.get(f"/api/v1/documents?limit=2&after={page['next_after']}", headers=auth_headers).get_json()
    assert len(page["data"]) == 2 and len(rest["data"]) == 1 and rest["next_after"] is None


def test_one_document_and_its_pdf(app, connection, client, auth_headers):
    docs = _issue_some(connection)
    note = next(d for d in docs.values() if d.kind == "credit_note")
    body = client.get(f"/api/v1/documents/{note.id}", headers=auth_headers).get_json()
    assert (body["number"], body["total"], body["currency"], body["kind"]) == (note.display_number, 400, "EUR",
                                                                                "credit_note")
    assert body["reverses_document_id"] is not None and body["rendered"] is True
    resp = client.get(f"/api/v1/documents/{note.id}/pdf", headers=auth_headers)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert note.display_number in resp.headers["Content-Disposition"]


def test_bad_input_and_other_tenants_get_clear_4xx(app, connection, client, auth_headers):
    docs = _issue_some(connection)
    some = next(iter(docs.values()))
    with transaction() as s:
        other = create_account(s, name="Other", slug="other")
        _row, other_key = create_api_key(s, other, "other")
    other_headers = {"Authorization": f"Bearer {other_key}"}
    assert client.get("/api/v1/documents", headers=other_headers).get_json()["data"] == []
    for path in (f"/api/v1/documents/{some.id}", f"/api/v1/documents/{some.id}/pdf"):
        assert client.get(path, headers=other_headers).status_code == 404
    assert client.post(f"/api/v1/documents/{some.id}/send", json={}, headers=other_headers).status_code == 404
    assert client.get("/api/v1/documents").status_code == 401
    for query in ("kind=invoice", "limit=0", "since=yesterday", "customer_id=abc", "after=-1"):
        resp = client.get(f"/api/v1/documents?{query}", headers=auth_headers)
        assert resp.status_code == 422 and resp.get_json()["message"], query
    assert client.get("/api/v1/documents/99999999999999999999", headers=auth_headers).status_code == 404
    resp = client.post(f"/api/v1/documents/{some.id}/send", json={"to": "not an address"}, headers=auth_headers)
    assert resp.status_code == 422 and "to" in resp.get_json()["errors"]["json"]
    resp = client.post(f"/api/v1/documents/{some.id}/send", data="{", headers=dict(
        auth_headers, **{"Content-Type": "application/json"}))
    assert 400 <= resp.status_code < 500
    assert client.get("/api/v1/documents/shared/garbage").status_code == 403
    write(connection, customer("cus_3", email=None), charge("ch_3", customer_id="cus_3"))
    no_email = issue_document(["receipt", connection.id, "ch_3"])
    resp = client.post(f"/api/v1/documents/{no_email}/send", json={}, headers=auth_headers)
    assert resp.status_code == 422 and "no email address" in resp.get_json()["message"]


def test_send_queues_an_audited_email_to_another_address(app, connection, client, auth_headers, worker_env):
    docs = _issue_some(connection)
    receipt = next(d for d in docs.values() if d.kind == "receipt")
    resp = client.post(f"/api/v1/documents/{receipt.id}/send", json={"to": "Books@Example.com"},
                       headers=auth_headers)
    assert resp.status_code == 202 and resp.get_json() == {"id": receipt.id, "queued": True, "to": "books@example.com"}
    with LoopbackSmtpServer() as server:
        run = run_cli(["worker", "--burst"], dict(worker_env, CHARGEDESK_SMTP_URL=server.url), timeout=120)
        assert run.returncode == 0, run.stderr
        wait_for(lambda: server.handler.received, timeout=10, message="the email")
        tos = sorted(r.rcpt_tos[0] for r in server.handler.received)
    assert "books@example.com" in tos
    entry = session().scalars(select(AuditEntry).where(AuditEntry.event == "document.send_requested")).one()
    assert entry.subject_id == str(receipt.id) and entry.details["to"] == "books@example.com"


def test_backfill_command_issues_unsent_documents_for_history_only_on_request(app, ctx, connection, worker_env,
                                                                              tmp_path):
    write(connection, customer(), charge("ch_old", 700, when=HISTORY), refund("re_old", "ch_old", 700, when=HISTORY),
          charge("ch_older", 300, when=HISTORY.replace(year=2025)), want_ids=False)
    assert documents() == []  # the import itself issued nothing
    run = run_cli(["documents", "backfill", "acme", "--since", "2026-01-01"], worker_env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "1 receipts and 1 credit notes issued (unsent)" in run.stdout
    docs = documents()
    assert [(d.kind, d.auto_send, d.storage_key is not None) for d in docs] == [
        ("credit_note", False, True), ("receipt", False, True)]
    assert send_document({"id": docs[1].id}) == "skipped"  # never emailed by itself
    again = run_cli(["documents", "backfill", "acme", "--since", "2026-01-01"], worker_env, timeout=120)
    assert "0 receipts and 0 credit notes" in again.stdout and len(documents()) == 2
    for args, message in ((["--since", "last week"], "is not a date"), (["--since", "2026-02-01", "--until",
                                                                          "2026-01-01"], "after --since")):
        bad = run_cli(["documents", "backfill", "acme", *args], worker_env)
        assert bad.returncode != 0 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    missing = run_cli(["documents", "backfill", "nobody", "--since", "2026-01-01"], worker_env)
    assert missing.returncode != 0 and "no account" in missing.stderr


def test_render_command_issues_and_writes_the_pdf(app, ctx, connection, worker_env, tmp_path):
    write(connection, customer(), charge("ch_old", 700, when=HISTORY), want_ids=False)
    out = tmp_path / "receipt.pdf"
    run = run_cli(["documents", "render", "ch_old", "--output", str(out)], worker_env, timeout=120)
    assert run.returncode == 0, run.stderr
    [doc] = documents()
    assert doc.display_number in run.stdout and out.read_bytes().startswith(b"%PDF") and not doc.auto_send
    bad = run_cli(["documents", "render", "ch_nope"], worker_env)
    assert bad.returncode == 1 and bad.stderr.strip() == "chargedesk: error: no charge with id 'ch_nope'"

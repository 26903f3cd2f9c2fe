"""Document emails through backend.mail to a real loopback SMTP server (aiosmtpd)."""
from __future__ import annotations

import email
from email import policy

import pytest

from backend.db import session, transaction
from backend.documents.delivery import send_document
from backend.documents.tasks import issue_document
from backend.mail import MailError
from backend.models import Account, Document
from tests.conftest import wait_for
from tests.mail.smtp_server import LoopbackSmtpServer

from .conftest import charge, customer, documents, refund, write


@pytest.fixture
def smtp(app, monkeypatch, tmp_path):
    settings = app.config["SETTINGS"]
    with LoopbackSmtpServer() as server:
        monkeypatch.setattr(settings, "smtp_url", server.url)
        yield server


def _messages(server) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(r.data, policy=policy.default) for r in server.handler.received]


def _issue(connection, *records) -> Document:
    write(connection, customer(), *records)
    issue_document(["receipt", connection.id, records[0].external_id])
    return documents("receipt")[0]


def _doc(doc_id) -> Document:
    s = session()
    s.expire_all()
    return s.get(Document, doc_id)


def test_receipt_email_has_number_reply_to_pdf_and_a_working_signed_link(app, connection, smtp, client):
    doc = _issue(connection, charge("ch_1", 4200))
    assert send_document({"id": doc.id}) == "sent"
    [msg] = _messages(smtp)
    assert doc.display_number in msg["Subject"] and msg["To"] == "jean@example.fr"
    assert msg["Reply-To"] == "support@acme.test"
    [pdf] = [part for part in msg.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"{doc.display_number}.pdf" and pdf.get_content().startswith(b"%PDF")
    body = msg.get_body(("plain",)).get_content()
    assert "€42.00" in body
    link = next(word for word in body.split() if "/api/v1/documents/shared/" in word)
    path = link.removeprefix("http://testserver")
    resp = client.get(path)
    assert resp.status_code == 200 and resp.data == pdf.get_content()
    forged = client.get(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 403 and "not valid" in forged.get_json()["message"]
    sent = _doc(doc.id)
    assert (sent.send_status, sent.sent_to, sent.send_attempts) == ("sent", "jean@example.fr", 1)
    assert send_document({"id": doc.id}) == "nothing-to-do"  # a duplicate job sends nothing
    assert len(smtp.handler.received) == 1


def test_temporary_error_is_retried_and_permanent_error_is_recorded(app, connection, smtp):
    doc = _issue(connection, charge("ch_1"))
    smtp.handler.data_reply = "451 4.3.0 try again later"
    with pytest.raises(MailError) as err:
        send_document({"id": doc.id})
    assert err.value.retryable
    assert (_doc(doc.id).send_status, _doc(doc.id).send_attempts) == ("unsent", 1)
    smtp.handler.data_reply = None
    assert send_document({"id": doc.id}) == "sent"
    write(connection, charge("ch_2"))
    issue_document(["receipt", connection.id, "ch_2"])
    second = documents("receipt")[1]
    smtp.handler.rcpt_reply = "550 5.1.1 no such mailbox"
    assert send_document({"id": second.id}) == "failed"
    failed = _doc(second.id)
    assert failed.send_status == "failed" and "550" in failed.send_error
    assert len(smtp.handler.received) == 1


def test_no_email_when_sending_is_off_or_the_customer_has_no_address(app, connection, smtp):
    with transaction() as s:
        s.get(Account, connection.account_id).settings = {"documents": {"auto_send": False}}
    doc = _issue(connection, charge("ch_1"))
    assert send_document({"id": doc.id}) == "skipped"
    assert "turned off" in _doc(doc.id).send_error
    with transaction() as s:
        s.get(Account, connection.account_id).settings = {}
    write(connection, customer("cus_2", email=None), charge("ch_2", customer_id="cus_2"))
    issue_document(["receipt", connection.id, "ch_2"])
    assert send_document({"id": documents("receipt")[1].id}) == "skipped"
    assert smtp.handler.received == []


def test_explicit_send_goes_to_another_address_even_after_the_automatic_one(app, connection, smtp):
    doc = _issue(connection, charge("ch_1"))
    send_document({"id": doc.id})
    assert send_document({"id": doc.id, "to": "books@example.fr", "explicit": True}) == "sent"
    assert [m["To"] for m in _messages(smtp)] == ["jean@example.fr", "books@example.fr"]


def test_a_webhook_payment_is_receipted_and_emailed_by_a_real_worker(app, ctx, connection, worker_env, rq_worker):
    with LoopbackSmtpServer() as server:
        rq_worker(env_extra={"CHARGEDESK_SMTP_URL": server.url})
        write(connection, customer(locale="de_DE"), charge("ch_1", 990), refund("re_1", "ch_1", 990))
        wait_for(lambda: len(server.handler.received) == 2, timeout=90, message="two emails")
        subjects = sorted(m["Subject"] for m in _messages(server))
    receipt, note = documents("receipt")[0], documents("credit_note")[0]
    assert subjects == sorted([f"Ihre Gutschrift {note.display_number} von Acme Inc",
                               f"Ihre Quittung {receipt.display_number} von Acme Inc"])
    assert note.reverses_document_id == receipt.id

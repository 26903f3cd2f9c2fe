"""backend.mail against a real SMTP server on loopback (aiosmtpd) and the outbox folder."""
from __future__ import annotations

import email
import email.policy

import pytest

from backend.mail import Attachment, MailError, build_message, parse_smtp_url, send_message

from .smtp_server import LoopbackSmtpServer, free_port


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_message_has_text_html_attachments_and_headers(ctx, mail_settings):
    message = build_message(to=["Ann <ann@example.com>", "bob@example.com"], subject="Receipt 42",
                            text="Thanks.", html="<p>Thanks.</p>", reply_to="help@acme.zendesk.com",
                            attachments=[Attachment("receipt-42.pdf", b"%PDF-1.7 ...", "application/pdf"),
                                         ("notes.txt", b"plain", "text/plain")])
    assert message["From"] == mail_settings.mail_from
    assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.com", "bob@example.com"]
    assert message["Reply-To"] == "help@acme.zendesk.com" and message["Message-ID"] and message["Date"]
    assert message.get_body(("plain",)).get_content().strip() == "Thanks."
    assert message.get_body(("html",)).get_content().strip() == "<p>Thanks.</p>"
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert files == {"receipt-42.pdf": b"%PDF-1.7 ...", "notes.txt": "plain"}


@pytest.mark.parametrize("fields, problem", [
    ({"to": []}, "at least one recipient"),
    ({"to": "not-an-address"}, "not an email address"),
    ({"to": "a@b.example\nBcc: victim@example.com"}, "one line"),
    ({"subject": "Hi\r\nBcc: victim@example.com"}, "one line"),
    ({"subject": ""}, "non-empty"),
    ({"text": "nul\0byte"}, "NUL"),
    ({"reply_to": "nobody"}, "not an email address"),
    ({"attachments": [("x.bin", "not bytes", "application/octet-stream")]}, "must be bytes"),
])
def test_bad_input_is_a_mail_error_that_is_not_retryable(ctx, mail_settings, fields, problem):
    with pytest.raises(MailError, match=problem) as refused:
        build_message(**{"to": "ann@example.com", "subject": "Hello", "text": "Body", **fields})
    assert refused.value.retryable is False


def test_without_smtp_a_message_is_written_to_the_outbox(ctx, mail_settings):
    message = build_message(to="ann@example.com", subject="Outbox test", text="Read me from disk.")
    message_id = send_message(message)
    [path] = list((mail_settings.instance_path / "outbox").glob("*.eml"))
    saved = parsed(path.read_bytes())
    assert saved["Message-ID"] == message_id and saved["Subject"] == "Outbox test"
    assert saved.get_content().strip() == "Read me from disk."
    assert not list((mail_settings.instance_path / "outbox").glob(".*.part"))


def test_through_smtp_with_login(ctx, smtp_server):
    message = build_message(to=["ann@example.com", "Bob <bob@example.com>"], subject="Over SMTP",
                            text="Delivered.", from_addr="Billing <billing@acme.example>")
    message_id = send_message(message)
    [received] = smtp_server.handler.received
    assert received.mail_from == "billing@acme.example"
    assert received.rcpt_tos == ["ann@example.com", "bob@example.com"]
    assert parsed(received.data)["Message-ID"] == message_id
    assert smtp_server.handler.logins == [("mailer", "p@ss word")]


def test_no_outbox_file_when_smtp_is_configured(ctx, smtp_server, mail_settings):
    send_message(build_message(to="ann@example.com", subject="SMTP only", text="x"))
    assert not (mail_settings.instance_path / "outbox").exists()


@pytest.mark.parametrize("where, reply, retryable", [
    ("rcpt_reply", "450 4.2.1 Mailbox busy, try later", True),
    ("rcpt_reply", "550 5.1.1 No such user", False),
    ("data_reply", "451 4.3.0 Temporary failure", True),
    ("data_reply", "554 5.7.1 Message rejected as spam", False),
])
def test_smtp_refusals_say_whether_to_retry(ctx, smtp_server, where, reply, retryable):
    setattr(smtp_server.handler, where, reply)
    with pytest.raises(MailError) as refused:
        send_message(build_message(to="ann@example.com", subject="Refused", text="x"))
    assert refused.value.retryable is retryable
    assert refused.value.smtp_code == int(reply[:3])
    assert smtp_server.handler.received == []


def test_a_wrong_password_is_not_retryable(ctx, mail_settings, monkeypatch):
    with LoopbackSmtpServer(username="mailer", password="right") as server:
        monkeypatch.setattr(mail_settings, "smtp_url", server.url.replace(":right@", ":wrong@"))
        with pytest.raises(MailError) as refused:
            send_message(build_message(to="ann@example.com", subject="Auth", text="x"))
    assert refused.value.retryable is False and refused.value.smtp_code == 535


def test_an_unreachable_server_is_retryable(ctx, mail_settings, monkeypatch):
    monkeypatch.setattr(mail_settings, "smtp_url", f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(MailError, match="cannot reach") as refused:
        send_message(build_message(to="ann@example.com", subject="Nobody home", text="x"))
    assert refused.value.retryable is True


def test_implicit_tls_to_a_plain_server_fails_retryably_without_sending(ctx, mail_settings, monkeypatch):
    with LoopbackSmtpServer() as server:
        monkeypatch.setattr(mail_settings, "smtp_url", f"smtps://127.0.0.1:{server.port}")
        with pytest.raises(MailError) as refused:
            send_message(build_message(to="ann@example.com", subject="TLS", text="x"))
        assert server.handler.received == []
    assert refused.value.retryable is True


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", ("mail.example.com", 25, None, None, False, False)),
    ("smtps://u%40x:p%3Aw@mail.example.com", ("mail.example.com", 465, "u@x", "p:w", True, False)),
    ("smtp://u:p@127.0.0.1:2525?starttls=1", ("127.0.0.1", 2525, "u", "p", False, True)),
])
def test_smtp_urls(url, expected):
    t = parse_smtp_url(url)
    assert (t.host, t.port, t.username, t.password, t.implicit_tls, t.starttls) == expected


def test_the_password_never_shows_in_logs():
    assert "hunter2-secret" not in repr(parse_smtp_url("smtp://u:hunter2-secret@mail.example.com"))


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://h:99999", "smtp://h?tls=1",
                                 "smtps://h?starttls=1"])
def test_bad_smtp_urls_are_refused(url):
    with pytest.raises(ValueError):
        parse_smtp_url(url)


def test_the_settings_refuse_a_bad_smtp_url_at_start_up(tmp_path):
    from backend.config import ConfigError, load_settings

    base = {"ENV": "test", "INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="SMTP_URL"):
        load_settings({**base, "SMTP_URL": "smtp://"}, environ={})
    with pytest.raises(ConfigError, match="MAIL_FROM"):
        load_settings({**base, "MAIL_FROM": "no address"}, environ={})
    settings = load_settings({**base, "SMTP_URL": "smtp://127.0.0.1:2525", "MAIL_FROM": "B <b@x.example>"}, environ={})
    assert (settings.smtp_url, settings.mail_from) == ("smtp://127.0.0.1:2525", "B <b@x.example>")

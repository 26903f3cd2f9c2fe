"""Outbound email: build a message, then send it through SMTP or drop it into the outbox folder.

    from backend.mail import build_message, send_message, MailError
    message = build_message(to="owner@acme.test", subject="...", text="...")
    send_message(message)   # MailError(.retryable) if it could not be handed over

`CHARGEDESK_SMTP_URL` (smtp://user:pass@host:port, smtps:// for implicit TLS, ?starttls=1) picks
SMTP; without it every message is written as a .eml file into `<instance path>/outbox/` (the demo
default, and what a developer reads). `CHARGEDESK_MAIL_FROM` is the default From. Send from a job,
never from a request: a slow SMTP server must not hold a page.
"""
from __future__ import annotations

from .errors import MailError
from .message import Attachment, build_message
from .sending import send_message
from .smtp import SmtpTarget, parse_smtp_url

__all__ = ["Attachment", "MailError", "SmtpTarget", "build_message", "parse_smtp_url", "send_message"]

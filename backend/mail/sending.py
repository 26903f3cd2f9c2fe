"""send_message: through SMTP when CHARGEDESK_SMTP_URL is set, else into the outbox folder."""
from __future__ import annotations

import logging
import os
import re
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from flask import current_app

from .errors import MailError
from .message import recipients_of
from .smtp import parse_smtp_url, send_smtp

log = logging.getLogger(__name__)
OUTBOX = "outbox"


def send_message(message: EmailMessage) -> str:
    """Hand the message over; returns its Message-ID. MailError(.retryable) when it could not be.

    Needs an app context (the settings say where mail goes). Call it from a job.
    """
    envelope_to = recipients_of(message)
    if not envelope_to or not message.get("From"):
        raise MailError("the message has no recipient or no From (use build_message)")
    settings = current_app.config["SETTINGS"]
    smtp_url = settings.smtp_url
    if smtp_url:
        try:
            target = parse_smtp_url(smtp_url)
        except ValueError as exc:
            raise MailError(f"CHARGEDESK_SMTP_URL: {exc}") from None
        refused = send_smtp(target, message, envelope_to)
        if refused:
            log.warning("SMTP server refused some recipients of %s: %s", message["Message-ID"], sorted(refused))
    else:
        path = write_to_outbox(message, Path(settings.instance_path) / OUTBOX)
        log.info("mail %s written to %s (CHARGEDESK_SMTP_URL is not set)", message["Message-ID"], path)
    return str(message["Message-ID"])


def write_to_outbox(message: EmailMessage, folder: Path) -> Path:
    """One .eml file per message, written whole (a temporary name, then renamed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{_safe(str(message['Message-ID']))}"
        path, partial = folder / f"{stem}.eml", folder / f".{stem}.eml.part"
        partial.write_bytes(message.as_bytes(policy=SMTP))
        os.replace(partial, path)
    except OSError as exc:
        raise MailError(f"cannot write to the outbox {folder}: {exc.strerror or exc}", retryable=True) from None
    return path


def _safe(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", message_id.strip("<>"))[:120] or "message"

"""build_message: a standard-library EmailMessage with checked addresses and headers."""
from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import Iterable, Sequence

from flask import current_app, has_app_context

from .errors import MailError

DEFAULT_FROM = "ChargeDesk <chargedesk@localhost>"


@dataclass(frozen=True)
class Attachment:
    """A file to attach; `content_type` as 'maintype/subtype' (a PDF: 'application/pdf')."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def build_message(*, to: str | Sequence[str], subject: str, text: str, html: str | None = None,
                  reply_to: str | None = None, from_addr: str | None = None,
                  attachments: Iterable[Attachment | tuple] = ()) -> EmailMessage:
    """A ready-to-send message: plain text (plus an HTML alternative), Date and Message-ID set.

    `to` is one address or a list; addresses may carry a display name ('Ann <ann@x.test>').
    `from_addr` defaults to CHARGEDESK_MAIL_FROM. Attachments are `Attachment`s or
    (filename, bytes, content_type) tuples. Bad input raises MailError (not retryable).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise MailError("a message needs at least one recipient")
    sender = from_addr or default_from()
    message = EmailMessage()
    message["From"] = _address(sender, "From")
    message["To"] = ", ".join(_address(r, "To") for r in recipients)
    if reply_to:
        message["Reply-To"] = _address(reply_to, "Reply-To")
    message["Subject"] = _header_text(subject, "Subject")
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    message.set_content(_body(text, "text"))
    if html is not None:
        message.add_alternative(_body(html, "html"), subtype="html")
    for item in attachments:
        _attach(message, item if isinstance(item, Attachment) else Attachment(*item))
    return message


def default_from() -> str:
    """CHARGEDESK_MAIL_FROM of the running app, else a local placeholder."""
    if has_app_context():
        return current_app.config["SETTINGS"].mail_from or DEFAULT_FROM
    return DEFAULT_FROM


def recipients_of(message: EmailMessage) -> list[str]:
    """Bare addresses of To, Cc and Bcc (what the SMTP envelope needs)."""
    fields = [str(v) for k in ("To", "Cc", "Bcc") for v in message.get_all(k, [])]
    return [addr for _name, addr in getaddresses(fields) if addr]


def _address(value: str, field: str) -> str:
    text = _header_text(value, field)
    name, addr = parseaddr(text)
    local, _, domain = addr.rpartition("@")
    dotted = "." in domain.strip(".") or domain == "localhost"
    if not local or not domain or " " in addr or not dotted:
        raise MailError(f"{field}: {value!r} is not an email address")
    try:
        return str(Address(display_name=name, username=local, domain=domain))
    except (ValueError, IndexError) as exc:
        raise MailError(f"{field}: {value!r} is not an email address ({exc})") from None


def _header_text(value: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MailError(f"{field} must be a non-empty string")
    if any(c in value for c in "\r\n\0"):
        raise MailError(f"{field} must be one line (no line breaks or NUL characters)")
    return value.strip()


def _body(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise MailError(f"the {what} body must be a string")
    if "\0" in value:
        raise MailError(f"the {what} body contains a NUL character")
    return value


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    if not maintype or not subtype or not isinstance(attachment.content, (bytes, bytearray)):
        raise MailError(f"attachment {attachment.filename!r}: content must be bytes and the type "
                        "'maintype/subtype'")
    filename = _header_text(attachment.filename, "attachment filename")
    message.add_attachment(bytes(attachment.content), maintype=maintype, subtype=subtype, filename=filename)

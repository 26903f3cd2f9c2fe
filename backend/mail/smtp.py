"""SMTP delivery through smtplib: the URL form of the settings, and SMTP replies -> MailError."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import MailError

TIMEOUT_SECONDS = 20
SCHEMES = {"smtp": 25, "smtps": 465}
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False  # smtps://
    starttls: bool = False  # smtp://...?starttls=1

    def __repr__(self) -> str:  # never print the password
        return f"SmtpTarget({self.host}:{self.port}, user={self.username!r}, tls={self.implicit_tls or self.starttls})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """'smtp://user:pass@host:587?starttls=1' or 'smtps://host' -> SmtpTarget; ValueError if not."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in SCHEMES:
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise ValueError("the SMTP URL has an invalid port") from None
    if not parts.hostname:
        raise ValueError("the SMTP URL has no host")
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ValueError(f"unknown SMTP URL option(s): {', '.join(sorted(unknown))} (only starttls=1)")
    starttls = query.get("starttls", ["0"])[-1].lower() in TRUE
    if starttls and parts.scheme == "smtps":
        raise ValueError("smtps:// is already TLS; starttls=1 is for smtp://")
    return SmtpTarget(host=parts.hostname, port=port,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None,
                      implicit_tls=parts.scheme == "smtps", starttls=starttls)


def send_smtp(target: SmtpTarget, message: EmailMessage, envelope_to: list[str], *,
              timeout: float = TIMEOUT_SECONDS) -> dict:
    """Hand the message to the server; returns recipients it refused (others got it)."""
    try:
        with _connect(target, timeout) as smtp:
            if target.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if target.username:
                smtp.login(target.username, target.password or "")
            return smtp.send_message(message, to_addrs=envelope_to)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        retryable = bool(codes) and all(400 <= code < 500 for code in codes)
        raise MailError(f"the SMTP server refused every recipient ({_codes(codes)})", retryable=retryable,
                        smtp_code=codes[0] if codes else None) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth, connect ...
        code = int(exc.smtp_code)
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise MailError(f"the SMTP server answered {code}: {text[:200]}", retryable=400 <= code < 500,
                        smtp_code=code) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(f"the SMTP server does not support what the settings ask for: {exc}") from None
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"the SMTP server's TLS certificate was not accepted: {exc.verify_message}") from None
    except smtplib.SMTPServerDisconnected:
        raise MailError(f"the SMTP server {target.host}:{target.port} closed the connection",
                        retryable=True) from None
    except smtplib.SMTPException as exc:  # e.g. no authentication method in common (an OSError too)
        raise MailError(f"SMTP failed: {exc}") from None
    except OSError as exc:  # refused, reset, timeout, DNS, TLS handshake
        raise MailError(f"cannot reach the SMTP server {target.host}:{target.port}: {type(exc).__name__}",
                        retryable=True) from None


def _connect(target: SmtpTarget, timeout: float) -> smtplib.SMTP:
    if target.implicit_tls:
        return smtplib.SMTP_SSL(target.host, target.port, timeout=timeout,
                                context=ssl.create_default_context())
    return smtplib.SMTP(target.host, target.port, timeout=timeout)


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in sorted(set(codes))) or "no code"

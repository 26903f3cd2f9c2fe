"""A real SMTP server on loopback (aiosmtpd) that keeps what it received and can refuse on demand."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class RecordingHandler:
    """Answers like a mail server; `rcpt_reply` / `data_reply` (e.g. '450 ...') make it refuse."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class LoopbackSmtpServer:
    """Start/stop around a test; `url` is what CHARGEDESK_SMTP_URL would be."""

    def __init__(self, *, username: str | None = None, password: str | None = None):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.username, self.password = username, password
        kwargs = {}
        if username:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = (auth_data.login.decode(), auth_data.password.decode())
            self.handler.logins.append(login)
            ok = login == (self.username, self.password)
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 235/535
        return AuthResult(success=False, handled=False)

    @property
    def url(self) -> str:
        auth = f"{quote(self.username, safe='')}:{quote(self.password or '', safe='')}@" if self.username else ""
        return f"smtp://{auth}127.0.0.1:{self.port}"

    def __enter__(self) -> "LoopbackSmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Production serving with gunicorn, configured in code (no separate config file needed)."""
from __future__ import annotations

import gc
import logging
import re
import socket

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from gunicorn.util import parse_address

# A query parameter whose name mentions email (email=, requester_email= ...): its value is redacted.
EMAIL_PARAMETER = re.compile(r"((?:^|[?&;])[^=&;?\s]*email[^=&;\s]*=)[^&;\s\"]*", re.IGNORECASE)
REDACTED = "[redacted]"
# Access-log atoms that can carry a query string: the request line, the query, the referrer.
URL_ATOMS = ("r", "q", "f", "{referer}i")


def redact_emails(text: str | None) -> str | None:
    """`text` with the value of every email-like query parameter replaced (requesters' addresses
    must not land in access logs)."""
    return EMAIL_PARAMETER.sub(r"\1" + REDACTED, text) if text else text


class RedactingAccessLogger(Logger):
    """gunicorn's logger, with requesters' email addresses taken out of the access log lines."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_emails(atoms[name])
        return atoms


class RedactEmailsFilter(logging.Filter):
    """For other request logs (werkzeug's development server in `chargedesk demo`): same redaction."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_emails(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def redact_request_logs() -> None:
    """Attach the filter to werkzeug's request logger (idempotent)."""
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactEmailsFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactEmailsFilter())


class GunicornServer(BaseApplication):
    def __init__(self, app_factory, options: dict):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self):
        app = self.app_factory()
        freeze_startup_objects()
        return app


def freeze_startup_objects() -> None:
    """Move everything loaded at start-up (modules, the app, compiled statements) out of the
    garbage collector's sight: full collections then scan only what requests allocate, and forked
    workers keep sharing those pages copy-on-write. Long-lived processes only."""
    gc.collect()
    gc.freeze()


class AddressInUse(Exception):
    """The address to serve on is taken (by another server, or another copy of this one)."""


def gunicorn_options(*, bind: str, workers: int, threads: int, access_log: bool) -> dict:
    """Options for gunicorn. limit_request_line 0: gunicorn passes request lines up to its own 1 MiB
    cap, so the app answers overlong URLs itself, as JSON 414 (backend.web.edge); gunicorn's own
    error pages are HTML."""
    return {"bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
            "timeout": 60, "graceful_timeout": 10, "keepalive": 5,
            "accesslog": "-" if access_log else None, "logger_class": RedactingAccessLogger,
            "limit_request_line": 0, "preload_app": True, "reuse_port": socket_per_worker(bind)}


def socket_per_worker(bind: str) -> bool:
    """Whether each worker gets its own listening socket (SO_REUSEPORT) on this address.

    With one shared socket, whichever worker wakes first accepts, and keep-alive clients stay
    where they landed: a burst of new connections can all go to one worker while the others
    idle (measured: 16 connections on one of two workers, /ping at a third of its rate). With
    a socket per worker the kernel spreads connections evenly. TCP ports only: on a Unix socket
    each worker would replace the others' socket file, and port 0 would give each its own port.
    The cost: connections still queued on a worker that exits are reset, not handed over.
    """
    if not hasattr(socket, "SO_REUSEPORT") or bind.startswith(("unix:", "fd://")):
        return False
    _, port = parse_address(bind)
    return port != 0


def refuse_if_in_use(bind: str) -> None:
    """SO_REUSEPORT would let a second server share a port without a word: probe it plainly first."""
    host, port = parse_address(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise AddressInUse(f"cannot serve on {bind}: {exc.strerror or exc}") from None


def serve(app_factory, *, bind: str, workers: int, threads: int = 4, access_log: bool = False) -> None:
    options = gunicorn_options(bind=bind, workers=workers, threads=threads, access_log=access_log)
    if options["reuse_port"]:
        refuse_if_in_use(bind)
    GunicornServer(app_factory, options).run()

"""POST /webhooks/<kind>/<connection_id>: a delivery verified and stored in front of Flask.

Why outside the framework: gateways deliver in bursts, and a delivery's own work (a signature
check, one share of a group-committed INSERT, one share of a Redis SET) is small next to what
Flask adds per request. This WSGI middleware runs the same function as the Flask route
(`webhooks.accept`) and answers only the 200s. Everything else goes to Flask with the body put
back: other paths, a missing or oversized body, and every rejection (400, 404) or failure,
which Flask runs again and renders as usual (verifying stores nothing, and a repeat of a stored
delivery is a duplicate). Tests compare the two paths.
"""
from __future__ import annotations

import io
import logging
import re

from flask import Flask
from werkzeug.exceptions import HTTPException

from .webhooks import accept

log = logging.getLogger(__name__)
# The Flask rule's shape (/webhooks/<kind>/<int:connection_id>), narrowed to what it surely matches.
ROUTE = re.compile(r"/webhooks/([a-z][a-z0-9_]{0,31})/([1-9][0-9]{0,17})\Z")


class WebhookHotPath:
    """WSGI middleware: stored deliveries are answered here, everything else by the wrapped app."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wrapped = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            route = ROUTE.match(environ.get("PATH_INFO", ""))
            if route is not None:
                answer = self.receive(environ, route.group(1), int(route.group(2)))
                if answer is not None:
                    start_response("200 OK", [("Content-Type", "application/json"),
                                              ("Content-Length", str(len(answer)))])
                    return [answer]
        return self.wrapped(environ, start_response)

    def receive(self, environ, kind: str, connection_id: int) -> bytes | None:
        """The answer to a stored delivery, or None for Flask to answer (the body is put back)."""
        body = self._body(environ)
        if body is None:
            return None
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, should it answer after all
        try:
            with self.app.app_context():
                return accept(kind, connection_id, body, environ)
        except HTTPException:
            return None
        except Exception:  # noqa: BLE001 - Flask runs it again and reports what persists
            log.warning("webhook hot path failed; handing the delivery to Flask", exc_info=True)
            return None

    def _body(self, environ) -> bytes | None:
        """The whole body if its length is declared and within the app's limit; else None (unread)."""
        declared, limit = environ.get("CONTENT_LENGTH", ""), self.app.config.get("MAX_CONTENT_LENGTH")
        if not declared.isdigit() or (limit is not None and int(declared) > limit):
            return None
        if environ.get("HTTP_TRANSFER_ENCODING") or environ.get("HTTP_CONTENT_ENCODING"):
            return None
        body = environ["wsgi.input"].read(int(declared))
        if len(body) != int(declared):  # the client went away mid-body
            environ["wsgi.input"] = io.BytesIO(body)
            return None
        return body


def install(app: Flask) -> None:
    app.wsgi_app = WebhookHotPath(app, app.wsgi_app)

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
import re

from flask import Flask

from ..web.hot_path import HotPath
from .webhooks import accept

# The Flask rule's shape (/webhooks/<kind>/<int:connection_id>), narrowed to what it surely matches.
ROUTE = re.compile(r"/webhooks/([a-z][a-z0-9_]{0,31})/([1-9][0-9]{0,17})\Z")


class WebhookHotPath(HotPath):
    """Stored deliveries are answered here (see backend.web.hot_path)."""

    def answer(self, environ) -> bytes | None:
        """The answer to a stored delivery, or None for Flask to answer (the body is put back)."""
        route = ROUTE.match(environ.get("PATH_INFO", "")) if environ.get("REQUEST_METHOD") == "POST" else None
        if route is None:
            return None
        body = self._body(environ)
        if body is None:
            return None
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, should it answer after all
        kind, connection_id = route.group(1), int(route.group(2))

        def store() -> bytes:
            with self.app.app_context():
                return accept(kind, connection_id, body, environ)

        return self.attempt(store)

    def _body(self, environ) -> bytes | None:
        """The whole body if its length is declared and within the app's limit; else None (unread)."""
        declared, limit = environ.get("CONTENT_LENGTH", ""), self.app.config.get("MAX_CONTENT_LENGTH")
        if not declared.isdigit() or (limit is not None and int(declared) > limit):
            return None
        if environ.get("HTTP_TRANSFER_ENCODING") or environ.get("HTTP_CONTENT_ENCODING"):
            return None
        length = int(declared)
        body = environ["wsgi.input"].read(length)
        if len(body) != length:  # the client went away mid-body
            environ["wsgi.input"] = io.BytesIO(body)
            return None
        return body


def install(app: Flask) -> None:
    app.wsgi_app = WebhookHotPath(app, app.wsgi_app)

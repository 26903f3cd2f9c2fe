"""Shared page helpers of the admin UI."""
from __future__ import annotations

from flask import Response, render_template


def message_page(status: int, title: str, message: str, *, retry_url: str | None = None) -> Response:
    """A readable page for refusals and errors (nothing from the request is echoed)."""
    html = render_template("admin/message.html", title=title, message=message, retry_url=retry_url)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response

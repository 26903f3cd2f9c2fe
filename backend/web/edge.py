"""Odd requests refused at the edge, before any view runs.

One check for every route instead of a guard in each view: a URL longer than MAX_URL_LENGTH
(414), and a NUL byte or a lone surrogate in the path, a header, the query, a form or a JSON
body (400). PostgreSQL cannot store either in a text column, so such a string reaching a query
would be a 500. Webhook bodies are left to their receivers: they are verified byte for byte, and a gateway's
odd event is theirs to record. The WSGI hot paths hand such requests to Flask (`odd_environ`).
"""
from __future__ import annotations

import re

from flask import Flask, request

from ..api.errors import ApiError
from ..api.fields import Int64Converter

MAX_URL_LENGTH = 8190  # path + query, in bytes; gunicorn passes up to 1 MiB (see backend.serving)
ODD_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")
NOT_STORABLE = "contains a NUL byte or a lone surrogate, which no text field accepts"
BODY_EXEMPT_PREFIXES = ("/webhooks/",)


def odd_environ(environ) -> bool:
    """For the hot paths: True when Flask's edge check would refuse this request (a cheap test)."""
    path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
    return len(path) + len(query) > MAX_URL_LENGTH or "\x00" in path or "%00" in query or "\x00" in query


def odd_location(value, where: str) -> str | None:
    """The dotted location of the first string in `value` (a JSON value) holding an odd character."""
    if isinstance(value, str):
        return where if ODD_CHARACTER.search(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        here = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and ODD_CHARACTER.search(key):
            return here
        found = odd_location(item, here)
        if found is not None:
            return found
    return None


def _first_odd_field() -> tuple[str, str] | None:
    """(location, field) of the first odd string in the request, or None."""
    if ODD_CHARACTER.search(request.path):
        return "path", request.path
    header = next((name for name, value in request.headers.items() if "\x00" in value), None)
    if header is not None:
        return "headers", header
    checks = [("query", request.args.to_dict(flat=False))]
    if not request.path.startswith(BODY_EXEMPT_PREFIXES):
        if request.is_json:
            checks.append(("json", request.get_json(silent=True)))
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            checks.append(("form", request.form.to_dict(flat=False)))
    for location, value in checks:
        field = odd_location(value, "")
        if field is not None:
            return location, (field.split(".")[0] if location == "query" else field) or "body"
    return None


def refuse_odd_requests() -> None:
    """before_request: 414 for an overlong URL, 400 naming the field for an odd character."""
    environ = request.environ
    if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > MAX_URL_LENGTH:
        raise ApiError(414, f"The URL is too long: at most {MAX_URL_LENGTH} bytes of path and query.")
    try:
        odd = _first_odd_field()
    except RecursionError:
        raise ApiError(400, "The JSON body is nested too deeply.", {"json": ["Nested too deeply."]}) from None
    if odd is not None:
        location, field = odd
        if location == "path":
            raise ApiError(400, f"The URL path {NOT_STORABLE}.", {"path": [NOT_STORABLE]})
        raise ApiError(400, f"{location} field {field!r} {NOT_STORABLE}.", {location: {field: [NOT_STORABLE]}})


def init_app(app: Flask) -> None:
    """Bounded <int:> converters (before any route is added) and the edge check on every request."""
    app.url_map.converters["int"] = Int64Converter
    app.before_request(refuse_odd_requests)

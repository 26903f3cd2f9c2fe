"""GET /api/v1/sidebar/context for a sidebar token on PostgreSQL, answered in front of Flask.

Why a route outside the framework: every ticket an agent opens loads the sidebar, and a view is
one SQL statement plus a pre-built body, so Flask's per-request machinery (request context,
cookie session, URL matching, the response object, flask-smorest's wrappers) costs about as much
CPU as the view itself. This WSGI middleware answers only the case that matters for speed, a
200 for a sidebar token, with the same function the Flask route uses
(`sidebar.context_in_one_round_trip`). Everything else passes to Flask untouched: other paths
and methods, API keys, SQLite, and every error. Flask renders those as usual, re-running the
read, which is idempotent; errors are rare. So the Flask route stays the one documented in
OpenAPI, and the hot path can only ever answer what that route would (tests compare the two).
"""
from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" codec error handler used below
from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from .. import db
from ..auth.sidebar_tokens import TOKEN_PREFIX, read_sidebar_token
from ..sidebar.context import CustomerNotFound
from ..web.hot_path import HotPath
from .sidebar import context_in_one_round_trip

PATH = "/api/v1/sidebar/context"
BEARER = "Bearer " + TOKEN_PREFIX


class SidebarContextHotPath(HotPath):
    """The sidebar context's successful answers (see backend.web.hot_path)."""

    handed_over = (HTTPException, CustomerNotFound)  # Flask's route words the 404

    def __init__(self, app: Flask, wsgi_app):
        super().__init__(app, wsgi_app)
        self.engine = db.engine_of(app)

    def answer(self, environ) -> bytes | None:
        """The 200 body, or None for Flask to answer (a bad token or query, a refused agent ...).
        No app context is pushed: nothing on this path needs one."""
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET"
                or not environ.get("HTTP_AUTHORIZATION", "").startswith(BEARER)):
            return None
        claims = read_sidebar_token(environ["HTTP_AUTHORIZATION"][len("Bearer "):],
                                    secret_key=self.app.config["SECRET_KEY"])
        if claims is None:
            return None
        return self.attempt(
            lambda: orjson.dumps(context_in_one_round_trip(self.engine, claims, query_args(environ))))


def query_args(environ) -> ImmutableMultiDict:
    """The query string parsed exactly as Flask's `request.args` is (werkzeug 3)."""
    query = environ.get("QUERY_STRING", "").encode("latin1").decode()
    return ImmutableMultiDict(parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"))


def install(app: Flask) -> None:
    """Put the hot path in front of the app where it applies (PostgreSQL: it reads pre-built views)."""
    if db.engine_of(app).dialect.name == "postgresql":
        app.wsgi_app = SidebarContextHotPath(app, app.wsgi_app)

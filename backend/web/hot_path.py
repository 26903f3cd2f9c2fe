"""WSGI middleware for a hot route: answer its successes in front of Flask, hand it everything else.

A hot path runs the same function as its Flask route and answers only a JSON 200. Anything it
does not answer (another route, an odd request, an error, a failure) goes to the wrapped app
untouched, so Flask stays the one place that renders errors, and the route can only ever answer
what Flask would. Flask's request hooks do not run for the answers given here, so the hot path
adds the same security headers itself and hands Flask every request its edge check would refuse.
"""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from .edge import odd_environ
from .security_headers import HOT_PATH_HEADERS

log = logging.getLogger(__name__)


class HotPath:
    """Subclasses implement `answer(environ)`: the 200's JSON body, or None to hand over."""

    # Exceptions that mean "Flask answers this one" (it renders them), rather than a failure.
    handed_over: tuple[type[BaseException], ...] = (HTTPException,)

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wrapped = wsgi_app

    def __call__(self, environ, start_response):
        body = None if odd_environ(environ) else self.answer(environ)
        if body is None:
            return self.wrapped(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                  *HOT_PATH_HEADERS])
        return [body]

    def answer(self, environ) -> bytes | None:
        raise NotImplementedError

    def attempt(self, work) -> bytes | None:
        """work()'s answer; None (Flask answers instead) if it raised. An HTTP error is Flask's to
        render; anything else is logged, and Flask runs the request again and reports what persists."""
        try:
            return work()
        except self.handed_over:
            return None
        except Exception:  # noqa: BLE001
            log.warning("%s failed; handing the request to Flask", type(self).__name__, exc_info=True)
            return None

"""The admin UI's session cookie, opened only for requests that carry a cookie.

Flask's signed-cookie session builds its signer (an itsdangerous serializer) on every request
before it even looks for the cookie: 4-7% of the CPU of an API call, a webhook or /ping, none
of which ever has a session. A request without a Cookie header gets the same empty session
Flask would give it, without that work.
"""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class SessionOnlyWithCookies(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

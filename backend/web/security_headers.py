"""Security headers on every answer, Flask's and the WSGI hot paths' alike.

- `X-Content-Type-Options: nosniff` everywhere.
- Framing: a view that may be framed (a sidebar, loaded in a helpdesk's iframe) says so itself
  with a Content-Security-Policy that has `frame-ancestors`; every other answer gets
  `frame-ancestors 'none'` (added to its policy, if it has one) and `X-Frame-Options: DENY`.
  No list of hosts here: a new sidebar only has to set its own frame-ancestors.
- `Cache-Control: no-store` unless the view chose a policy (static files do): API answers carry
  billing data and admin pages carry settings, so no browser or proxy may keep a copy.
"""
from __future__ import annotations

from flask import Flask, Response

NO_FRAMING = "frame-ancestors 'none'"
# The headers of an answer given in front of Flask (backend.web.hot_path): JSON, never framed.
HOT_PATH_HEADERS = (("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
                    ("Content-Security-Policy", NO_FRAMING), ("X-Frame-Options", "DENY"))


def framing_policy(policy: str | None) -> str:
    """`policy` as it is if it already names its frame ancestors, else with frame-ancestors 'none'."""
    if not policy:
        return NO_FRAMING
    if "frame-ancestors" in policy:
        return policy
    return f"{policy.rstrip().rstrip(';')}; {NO_FRAMING}"


def add_security_headers(response: Response) -> Response:
    """after_request: the rules above, never overriding what a view set on purpose."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    policy = headers.get("Content-Security-Policy")
    if policy is None or "frame-ancestors" not in policy:
        headers["Content-Security-Policy"] = framing_policy(policy)
        headers.setdefault("X-Frame-Options", "DENY")
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)

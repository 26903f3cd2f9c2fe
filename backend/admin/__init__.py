"""Admin web UI: sign-in through any registered helpdesk's OAuth, account settings, agents and their limits.

A first-party session cookie (HttpOnly, SameSite=Lax; Secure when served over https) with a CSRF
token required on every POST.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask
from werkzeug.exceptions import BadRequest

from .csrf import check_csrf, csrf_token
from .dashboard import register_dashboard_routes
from .pages import message_page
from .session_cookie import SessionOnlyWithCookies
from .signin import register_sign_in_routes

SESSION_LIFETIME = timedelta(hours=12)


def create_blueprint() -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
    bp.before_request(check_csrf)
    bp.context_processor(lambda: {"csrf_token": csrf_token})
    register_sign_in_routes(bp)
    register_dashboard_routes(bp)
    bp.register_error_handler(BadRequest, bad_request)
    return bp


def bad_request(exc: BadRequest):
    """A readable 400 page (an expired form's CSRF token, an unreadable form); host admin routes reuse it."""
    if exc.description == "csrf":
        return message_page(400, "This form has expired",
                            "Reload the page and submit the form again (its security token was missing or wrong).")
    return message_page(400, "Bad request", "The form could not be read. Reload the page and try again.")


def init_app(app: Flask) -> None:
    base_url = app.config["SETTINGS"].base_url
    app.config.update(SESSION_COOKIE_NAME="chargedesk_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=base_url.startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME)
    app.session_interface = SessionOnlyWithCookies()
    app.register_blueprint(create_blueprint())

"""The sidebar page every host renders: one HTML shell, the host's adapter script, our sidebar UI.

The generic view (sidebar_apps/views.py, /sidebar/<kind>) verifies the host's signature, mints a
short-lived sidebar token and calls render_shell(). The page carries that token (no cookies in
iframes), asks the host SDK for the requester's emails and the ticket, then reads the billing
context. What differs per host (its SDK, its adapter script, who may frame it) comes from the
host's registry entry (HelpdeskHost.sidebar_assets).
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template, url_for

from backend.integrations.helpdesks import HelpdeskError, helpdesk_host, helpdesk_names
from backend.integrations.helpdesks.host import SidebarAssets

bp = Blueprint("sidebar_shell", __name__, static_folder="static", static_url_path="/sidebar/static",
               template_folder="templates")
DEMO_ENVS = ("demo", "test", "development")
APP_SCRIPTS = ("core.js", "render.js", "actions.js", "sidebar.js")
LOCATIONS = ("ticket_sidebar", "user_sidebar", "new_ticket_sidebar", "organization_sidebar", "conversation")


def render_shell(*, host: str, token: str, agent: dict, location: str) -> Response:
    """HTML of the sidebar for `host`, carrying the short-lived sidebar token (no cookies)."""
    assets = host_assets(host)
    config = {"host": host, "token": token, "location": location if location in LOCATIONS else "ticket_sidebar",
              "agent": {"name": str(agent.get("name") or ""), "role": str(agent.get("role") or ""),
                        "linked": agent.get("linked", True) is not False},
              "api_base": "/api/v1"}
    scripts = ([assets.sdk_url()] + [url_for("sidebar_shell.static", filename=name) for name in APP_SCRIPTS]
               + [assets.host_script_url()])
    response = Response(render_template("sidebar/shell.html", config=config, scripts=scripts), mimetype="text/html")
    response.headers.update(security_headers(assets))
    return response


def host_assets(host: str) -> SidebarAssets:
    """The registered host's sidebar assets; ValueError for a kind nobody registered."""
    try:
        return helpdesk_host(host).sidebar_assets()
    except HelpdeskError:
        raise ValueError(f"no sidebar assets for host {host!r}") from None


def security_headers(assets: SidebarAssets) -> dict[str, str]:
    """The page holds a bearer token: no caching, no referrer, scripts only from us (and the SDK's CDN)."""
    script_src = " ".join(filter(None, ["'self'", assets.sdk_origin]))
    policy = (f"default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; "
              f"connect-src 'self'; base-uri 'none'; form-action 'none'; "
              f"frame-ancestors 'self' {assets.frame_ancestors}")
    return {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff"}


def init_app(app: Flask) -> None:
    """The shell's static files, the generic sidebar view, and each registered host's own routes."""
    from . import views

    app.register_blueprint(bp)
    views.init_app(app)
    for kind in helpdesk_names():
        helpdesk_host(kind).init_app(app)


def settings_env(app: Flask) -> str:
    """The app's environment (production, demo, test, development); demo harnesses key on it."""
    settings = app.config.get("SETTINGS")
    return getattr(settings, "env", "production") if settings else "production"


def is_demo_env() -> bool:
    return settings_env(current_app) in DEMO_ENVS

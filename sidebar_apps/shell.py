"""The sidebar page every host renders: one HTML shell, the host's adapter script, our sidebar UI.

A host view (e.g. POST /sidebar/zendesk) verifies the host's signature, mints a short-lived
sidebar token and calls render_shell(). The page carries that token (no cookies in iframes),
asks the host SDK for the requester's emails and the ticket, then reads the billing context.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, render_template, url_for

from . import zaf_sdk

bp = Blueprint("sidebar_shell", __name__, static_folder="static", static_url_path="/sidebar/static",
               template_folder="templates")
DEMO_ENVS = ("demo", "test", "development")
APP_SCRIPTS = ("core.js", "render.js", "actions.js", "sidebar.js")
LOCATIONS = ("ticket_sidebar", "user_sidebar", "new_ticket_sidebar", "organization_sidebar", "conversation")


@dataclass(frozen=True)
class HostAssets:
    """What a host's page loads: the host's own SDK (if any), our adapter, who may frame it."""

    sdk_url: object  # () -> str, resolved per request (local copy or the vendor's CDN)
    adapter: str  # file under static/hosts/
    frame_ancestors: str
    sdk_origin: str = ""


HOSTS: dict[str, HostAssets] = {
    "zendesk": HostAssets(sdk_url=zaf_sdk.script_url, adapter="zendesk.js",
                          frame_ancestors="https://*.zendesk.com", sdk_origin="https://static.zdassets.com"),
}


def render_shell(*, host: str, token: str, agent: dict, location: str) -> Response:
    """HTML of the sidebar for `host`, carrying the short-lived sidebar token (no cookies)."""
    assets = HOSTS.get(host)
    if assets is None:
        raise ValueError(f"no sidebar assets for host {host!r}")
    config = {"host": host, "token": token, "location": location if location in LOCATIONS else "ticket_sidebar",
              "agent": {"name": str(agent.get("name") or ""), "role": str(agent.get("role") or "")},
              "api_base": "/api/v1"}
    scripts = [assets.sdk_url()] + [url_for("sidebar_shell.static", filename=name)
                                    for name in (*APP_SCRIPTS, f"hosts/{assets.adapter}")]
    response = Response(render_template("sidebar/shell.html", config=config, scripts=scripts), mimetype="text/html")
    response.headers.update(security_headers(assets))
    return response


def security_headers(assets: HostAssets) -> dict[str, str]:
    """The page holds a bearer token: no caching, no referrer, scripts only from us (and the SDK's CDN)."""
    script_src = " ".join(filter(None, ["'self'", assets.sdk_origin]))
    policy = (f"default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; "
              f"connect-src 'self'; base-uri 'none'; form-action 'none'; "
              f"frame-ancestors 'self' {assets.frame_ancestors}")
    return {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(zaf_sdk.bp)
    if _settings_env(app) in DEMO_ENVS:
        from . import demo_host

        demo_host.init_app(app)


def _settings_env(app: Flask) -> str:
    settings = app.config.get("SETTINGS")
    return getattr(settings, "env", "production") if settings else "production"


def is_demo_env() -> bool:
    return _settings_env(current_app) in DEMO_ENVS

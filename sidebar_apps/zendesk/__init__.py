"""Zendesk sidebar app: the bundle Zendesk loads (manifest, assets, translations; package.py and
validate.py build and check it), our host script, the ZAF SDK copy, and the demo host harness.

The sidebar itself opens through the generic view (POST /sidebar/zendesk -> sidebar_apps/views.py),
which asks ZendeskHost to verify the signed-URL JWT. ZendeskHost.init_app binds the routes here.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("zendesk_app", __name__, static_folder="static", static_url_path="/sidebar/zendesk/static",
               template_folder="templates")


def init_app(app: Flask) -> None:
    """Our host script and harness assets, the ZAF SDK route, the demo harness in demo-like envs."""
    from ..shell import DEMO_ENVS, settings_env
    from . import demo_host, zaf_sdk

    if bp.name in app.blueprints:
        return
    app.register_blueprint(bp)
    app.register_blueprint(zaf_sdk.bp)
    if settings_env(app) in DEMO_ENVS:
        demo_host.init_app(app)

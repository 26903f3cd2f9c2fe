"""Help Scout sidebar app: the iframe app's host script and SDK copy, the legacy dynamic app endpoint,
and the confirm page behind the dynamic app's action links. The iframe app itself opens through the
generic sidebar view (/sidebar/helpscout), which asks HelpScoutHost to verify the signed query."""
from __future__ import annotations

from flask import Blueprint, Flask

DEMO_ENVS = ("demo", "test", "development")


def init_app(app: Flask) -> None:
    from . import sdk

    if "helpscout_sidebar" not in app.blueprints:
        app.register_blueprint(_blueprint(demo=_env(app) in DEMO_ENVS))
        app.register_blueprint(sdk.bp)


def _blueprint(*, demo: bool) -> Blueprint:
    """One per app (rules are bound before registration)."""
    from . import confirm, dynamic

    bp = Blueprint("helpscout_sidebar", __name__, static_folder="static",
                   static_url_path="/sidebar/helpscout/static")
    bp.add_url_rule("/sidebar/helpscout/dynamic", view_func=dynamic.dynamic_app, methods=["POST"])
    bp.add_url_rule("/sidebar/helpscout/action", view_func=confirm.confirm_action, methods=["GET", "POST"])
    bp.add_url_rule("/sidebar/helpscout/action/status", view_func=confirm.action_status, methods=["GET"])
    if demo:  # the preview plays Help Scout (it signs loads): never in production
        from . import demo_preview

        bp.add_url_rule("/demo/helpscout", view_func=demo_preview.preview, methods=["GET"])
    return bp


def _env(app: Flask) -> str:
    settings = app.config.get("SETTINGS")
    return getattr(settings, "env", "production") if settings else "production"

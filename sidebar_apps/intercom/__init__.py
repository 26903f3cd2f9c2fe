"""Intercom inbox app (Canvas Kit): Intercom POSTs to our Initialize and Submit URLs and renders the
canvas JSON we answer; no iframe. The generic /sidebar/intercom view also opens for a signed request
(the host contract), but Intercom itself only calls the two endpoints here."""
from __future__ import annotations

from flask import Blueprint, Flask


DEMO_ENVS = ("demo", "test", "development")


def init_app(app: Flask) -> None:
    if "intercom_sidebar" not in app.blueprints:
        app.register_blueprint(_blueprint(demo=_env(app) in DEMO_ENVS))


def _blueprint(*, demo: bool) -> Blueprint:
    from . import endpoints

    bp = Blueprint("intercom_sidebar", __name__, static_folder="static", static_url_path="/sidebar/intercom/static")
    bp.add_url_rule("/sidebar/intercom/initialize", view_func=endpoints.initialize, methods=["POST"])
    bp.add_url_rule("/sidebar/intercom/submit", view_func=endpoints.submit, methods=["POST"])
    if demo:  # the preview plays Intercom (it signs requests): never in production
        from . import demo_preview

        bp.add_url_rule("/demo/intercom", view_func=demo_preview.preview, methods=["GET"])
        bp.add_url_rule("/demo/intercom/canvas", view_func=demo_preview.click, methods=["POST"])
    return bp


def _env(app: Flask) -> str:
    settings = app.config.get("SETTINGS")
    return getattr(settings, "env", "production") if settings else "production"

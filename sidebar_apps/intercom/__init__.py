"""Intercom inbox app (Canvas Kit): Intercom POSTs to our Initialize and Submit URLs and renders the
canvas JSON we answer; no iframe. The generic /sidebar/intercom view also opens for a signed request
(the host contract), but Intercom itself only calls the two endpoints here."""
from __future__ import annotations

from flask import Blueprint, Flask


def init_app(app: Flask) -> None:
    if "intercom_sidebar" not in app.blueprints:
        app.register_blueprint(_blueprint())


def _blueprint() -> Blueprint:
    from . import endpoints

    bp = Blueprint("intercom_sidebar", __name__, static_folder="static", static_url_path="/sidebar/intercom/static")
    bp.add_url_rule("/sidebar/intercom/initialize", view_func=endpoints.initialize, methods=["POST"])
    bp.add_url_rule("/sidebar/intercom/submit", view_func=endpoints.submit, methods=["POST"])
    return bp

"""Help Scout sidebar app: the iframe app's host script and SDK copy, the legacy dynamic app endpoint,
and the confirm page behind the dynamic app's action links. The iframe app itself opens through the
generic sidebar view (/sidebar/helpscout), which asks HelpScoutHost to verify the signed query."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("helpscout_sidebar", __name__, static_folder="static", static_url_path="/sidebar/helpscout/static")


def init_app(app: Flask) -> None:
    from . import confirm, dynamic, sdk

    if "helpscout_sidebar" in app.blueprints:
        return
    bp.add_url_rule("/sidebar/helpscout/dynamic", view_func=dynamic.dynamic_app, methods=["POST"])
    bp.add_url_rule("/sidebar/helpscout/action", view_func=confirm.confirm_action, methods=["GET", "POST"])
    bp.add_url_rule("/sidebar/helpscout/action/status", view_func=confirm.action_status, methods=["GET"])
    app.register_blueprint(bp)
    app.register_blueprint(sdk.bp)

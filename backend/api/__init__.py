"""The REST API under /api/v1 (flask-smorest), with its OpenAPI document and an offline docs page."""
from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_smorest import Api

from . import account, documents, errors

API_PREFIX = "/api/v1"
BLUEPRINTS = [account.blp, documents.blp]  # other modules append theirs via register_api_blueprint


def init_app(app: Flask, extra_blueprints=()) -> Api:
    app.config.update(
        API_TITLE="ChargeDesk API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api = Api(app)
    for blp in [*BLUEPRINTS, *extra_blueprints]:
        api.register_blueprint(blp)
    app.add_url_rule(f"{API_PREFIX}/docs", "api_docs", _docs_page)
    errors.init_app(app)
    app.extensions["chargedesk.api"] = api
    return api


def _docs_page():
    """Readable API reference rendered from the OpenAPI document itself: no CDN needed."""
    spec = current_app.extensions["chargedesk.api"].spec.to_dict()
    return render_template("api_docs.html", spec=spec)

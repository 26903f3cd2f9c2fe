"""The WooCommerce REST API v3 subset as a Flask app: /wp-json/wc/v3/... plus /_sandbox controls."""
from __future__ import annotations

import json
import math
from decimal import Decimal

from flask import Flask, Response, request

from . import render
from .auth import authenticate
from .store import Store, WooError

API = "/wp-json/wc/v3"
STORE_KEY = "woocommerce_sandbox_store"


def create_app(store: Store) -> Flask:
    app = Flask(__name__)
    app.extensions[STORE_KEY] = store

    @app.errorhandler(WooError)
    def woo_error(exc: WooError):
        return reply({"code": exc.code, "message": exc.message, "data": {"status": exc.status}}, exc.status)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def no_route(_exc):
        return woo_error(WooError(404, "rest_no_route", "No route was found matching the URL and request method."))

    @app.before_request
    def gate():
        if not request.path.startswith(API):
            return None
        with store.lock:
            store.requests.append({"method": request.method, "path": request.path[len(API):],
                                   "body": request.get_data(as_text=True)})
            authenticate(store, scheme=request.scheme, method=request.method, base_url=request.base_url,
                         args=request.args, authorization=request.headers.get("Authorization"))
            failure = _take_failure(store, before=True)
        return _failure_response(failure) if failure else None

    @app.after_request
    def fail_after_commit(response: Response):
        if request.path.startswith(API) and response.status_code < 400:
            with store.lock:
                failure = _take_failure(store, before=False)
            if failure:
                return _failure_response(failure)
        return response

    from .routes import bp
    from .controls import controls
    app.register_blueprint(bp, url_prefix=API)
    app.register_blueprint(controls)
    return app


def _take_failure(store: Store, *, before: bool) -> dict | None:
    for failure in store.failures:
        if failure["after_commit"] == (not before) and _matches(failure):
            failure["count"] -= 1
            if failure["count"] <= 0:
                store.failures.remove(failure)
            return failure
    return None


def _matches(failure: dict) -> bool:
    path = request.path[len(API):]
    return ((failure["path_prefix"] is None or path.startswith(failure["path_prefix"]))
            and (failure["method"] is None or failure["method"] == request.method))


def _failure_response(failure: dict) -> Response:
    status = failure["status"]
    return reply({"code": "internal_server_error" if status >= 500 else "sandbox_injected_error",
                  "message": f"Injected failure ({status})", "data": {"status": status}}, status)


def store_of(app_or_none=None) -> Store:
    from flask import current_app
    return current_app.extensions[STORE_KEY]


def reply(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(render.dumps(payload), status=status, headers=headers or {},
                    content_type="application/json; charset=UTF-8")


def body() -> dict:
    """The JSON body with numbers as Decimals (money never becomes a float here)."""
    raw = request.get_data()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
    if not isinstance(parsed, dict):
        raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
    return parsed


def listing(store: Store, kind: str, items: list[dict]) -> Response:
    """One page, with WordPress's X-WP-Total and X-WP-TotalPages headers."""
    per_page, page = _int_arg("per_page", 10, 1, 100), _int_arg("page", 1, 1, 10**9)
    orderby, order = request.args.get("orderby", "date"), request.args.get("order", "desc")
    if orderby not in ("id", "date") or order not in ("asc", "desc"):
        raise WooError(400, "rest_invalid_param", "Invalid parameter(s): orderby, order")
    if orderby != "id" or order != "asc":  # stored in id order already (ids only grow)
        key = (lambda o: o["id"]) if orderby == "id" else (lambda o: (o["date_created"], o["id"]))
        items = sorted(items, key=key, reverse=order == "desc")
    chunk = items[(page - 1) * per_page: page * per_page]
    pages = math.ceil(len(items) / per_page)
    render_one = render.RENDERERS[kind]
    return reply([render_one(store, o) for o in chunk],
                 headers={"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)})


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise WooError(400, "rest_invalid_param", f"Invalid parameter(s): {name}") from None
    if not low <= value <= high:
        raise WooError(400, "rest_invalid_param",
                       f"Invalid parameter(s): {name} must be between {low} ({'inclusive'}) and {high}")
    return value

"""The PayPal REST subset as a Flask app, plus /_sandbox controls (loopback only, no auth)."""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from flask import Flask, Response, request

from . import render
from .store import PayPalError, Store, invalid

STORE_KEY = "paypal_sandbox_store"
MAX_WINDOW = timedelta(days=31)


def reply(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")


def body() -> dict:
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PayPalError(400, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or "
                          "violates schema.", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.") from None
    if not isinstance(parsed, dict):
        raise invalid("MALFORMED_REQUEST_JSON", "The request JSON must be an object.")
    return parsed


def create_app(store: Store, on_outbox) -> Flask:
    app = Flask(__name__)
    app.extensions[STORE_KEY] = store

    @app.errorhandler(PayPalError)
    def paypal_error(exc: PayPalError):
        return reply(exc.body(), exc.status)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def no_route(exc):
        return reply({"name": "NOT_FOUND" if exc.code == 404 else "METHOD_NOT_SUPPORTED",
                      "message": "The specified resource does not exist." if exc.code == 404
                      else "The server does not implement the requested HTTP method.",
                      "debug_id": secrets.token_hex(6), "details": []}, exc.code)

    @app.before_request
    def gate():
        if request.path.startswith("/_sandbox"):
            return None
        with store.lock:
            if request.path.startswith("/v1/notifications/certs"):
                store.requests.append({"method": request.method, "path": request.path, "request_id": None, "body": ""})
                return None
            store.requests.append({"method": request.method, "path": request.path,
                                   "request_id": request.headers.get("PayPal-Request-Id"),
                                   "body": request.get_data(as_text=True)})
            if request.path == "/v1/oauth2/token":
                return _token(store)
            _require_bearer(store)
            failure = _take_failure(store, before=True)
            if failure:
                return _failure_response(failure)
            return _replay(store)

    @app.after_request
    def remember(response: Response):
        if request.path.startswith(("/_sandbox", "/v1/oauth2", "/v1/notifications/certs")):
            return response
        with store.lock:
            pending, store.outbox = store.outbox, []
            key = _replay_key()
            if key and response.status_code < 300 and key not in store.replays:
                store.replays[key] = (request.get_data(as_text=True), response.status_code,
                                      response.get_data(as_text=True))
            failure = _take_failure(store, before=False) if response.status_code < 400 else None
        if pending:
            on_outbox(pending)
        return _failure_response(failure) if failure else response

    from .routes import bp
    from .controls import controls
    app.register_blueprint(bp)
    app.register_blueprint(controls)
    return app


def _token(store: Store) -> Response:
    """POST /v1/oauth2/token, Basic client_id:secret, grant_type=client_credentials."""
    header = request.headers.get("Authorization", "")
    try:
        user, _, password = base64.b64decode(header.removeprefix("Basic "), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user = password = ""
    if not header.startswith("Basic ") or not (hmac.compare_digest(user, store.client_id)
                                                and hmac.compare_digest(password, store.client_secret)):
        return reply({"error": "invalid_client", "error_description": "Client Authentication failed"}, 401)
    if request.form.get("grant_type") != "client_credentials":
        return reply({"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}, 400)
    token = "A21AA" + secrets.token_urlsafe(32)
    store.tokens.add(token)
    return reply({"scope": "https://uri.paypal.com/services/invoicing https://uri.paypal.com/services/payments/"
                  "refund https://uri.paypal.com/services/subscriptions https://uri.paypal.com/services/reporting/"
                  "search/read", "access_token": token, "token_type": "Bearer", "app_id": "APP-80W284485P519543T",
                  "expires_in": 32400, "nonce": secrets.token_hex(8)})


def _require_bearer(store: Store) -> None:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token not in store.tokens:
        raise PayPalError(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid authentication "
                          "credentials or a missing Authorization header.")


def _replay_key() -> tuple[str, str] | None:
    request_id = request.headers.get("PayPal-Request-Id")
    return (request.path, request_id) if request.method == "POST" and request_id else None


def _replay(store: Store) -> Response | None:
    """A POST with a PayPal-Request-Id seen before: the first answer again; another body is refused."""
    key = _replay_key()
    if key is None or key not in store.replays:
        return None
    first_body, status, text = store.replays[key]
    if first_body != request.get_data(as_text=True):
        raise PayPalError(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.",
                          "PAYPAL_REQUEST_ID_PREVIOUSLY_USED",
                          "The PayPal-Request-Id has already been used for another request.")
    return Response(text, status=status, content_type="application/json")


def _take_failure(store: Store, *, before: bool) -> dict | None:
    for failure in store.failures:
        if failure["after_commit"] == (not before) and \
                (failure["path_prefix"] is None or request.path.startswith(failure["path_prefix"])) and \
                (failure["method"] is None or failure["method"] == request.method):
            failure["count"] -= 1
            if failure["count"] <= 0:
                store.failures.remove(failure)
            return failure
    return None


def _failure_response(failure: dict) -> Response:
    status = failure["status"]
    name = "INTERNAL_SERVER_ERROR" if status >= 500 else "RATE_LIMIT_REACHED" if status == 429 else "INVALID_REQUEST"
    return reply({"name": name, "message": f"Injected failure ({status})", "debug_id": secrets.token_hex(6),
                  "details": []}, status)


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid("INVALID_PARAMETER_VALUE", f"{name} must be an integer from {low} to {high}")
    return int(raw)


def date_arg(name: str) -> datetime:
    raw = request.args.get(name)
    if not raw:
        raise invalid("MISSING_REQUIRED_PARAMETER", f"{name} is required")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("INVALID_PARAMETER_SYNTAX", f"{name} must be an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise invalid("INVALID_PARAMETER_SYNTAX", f"{name} needs a time zone offset")
    return value


def paged(items: list, page: int, page_size: int) -> tuple[list, int, int]:
    total = len(items)
    return items[(page - 1) * page_size: page * page_size], total, max(1, math.ceil(total / page_size))

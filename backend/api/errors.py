"""JSON errors for the API and webhooks: {"code", "message", "errors"} for every 4xx/5xx."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/webhooks/", "/healthz")


class ApiError(HTTPException):
    """Raise with a status and a person-readable message (and optional field errors)."""

    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(description=message)
        self.code = status
        self.errors = errors or {}


def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    return {"code": status, "message": message, "errors": errors or {}}


def field_names(errors: dict, prefix: str = "") -> list[str]:
    """Dotted names of the fields in marshmallow's nested messages ({"json": {"target": [...]}})."""
    names: list[str] = []
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix and prefix not in ("json", "query", "form", "headers") else str(key)
        names.extend(field_names(value, name) if isinstance(value, dict) else [name])
    return names


def _wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == "application/json"


def _handle_http(exc: HTTPException):
    if not _wants_json():
        return exc
    errors = getattr(exc, "errors", None) or (getattr(exc, "data", None) or {}).get("messages") or {}
    message = exc.description or exc.name
    if errors and message == exc.__class__.description:
        message = f"The request has invalid fields: {', '.join(field_names(errors))}; see errors."
    resp = jsonify(error_body(exc.code or 500, message, errors))
    resp.status_code = exc.code or 500
    if exc.code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="chargedesk"'
    return resp


def _handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if isinstance(exc, HTTPException):
        return _handle_http(exc)
    if _wants_json():
        resp = jsonify(error_body(500, "Internal error; it has been logged."))
        resp.status_code = 500
        return resp
    return InternalServerError()


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)

"""The sandbox's WSGI app: Recurly's auth, versioning, errors, idempotency and fault injection.

Every API request is serialised by one lock and is all-or-nothing: a 4xx/5xx rolls the state
back (except a declined payment, which Recurly records). Webhooks the request caused are sent
after the lock is released, before the response goes out, so a receiver may call back in.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import time
import uuid

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import accounts, catalog, controls, invoices, subscriptions
from .notify import deliver
from .render import dumps
from .store import ApiError, Store
from .web import STORE_KEY
from .web import store as _store

API_VERSION = "v2021-02-25"
_ERROR_TYPES = {400: "bad_request", 401: "unauthorized", 403: "invalid_permissions",
                404: "not_found", 422: "validation", 429: "rate_limited",
                500: "internal_server_error", 502: "bad_gateway", 503: "service_unavailable",
                504: "timeout"}
_WRITES = ("POST", "PUT", "DELETE")


def create_app(sb: Store) -> Flask:
    app = Flask("recurly_sandbox")
    app.extensions[STORE_KEY] = sb
    for blueprint in (accounts.bp, catalog.bp, subscriptions.bp, invoices.bp, controls.bp):
        app.register_blueprint(blueprint)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    app.wsgi_app = _Serialized(app.wsgi_app, sb)
    return app


class _Serialized:
    """Run one request at a time, then deliver the webhooks it queued."""

    def __init__(self, wsgi_app, sb: Store):
        self.wsgi_app, self.sb = wsgi_app, sb

    def __call__(self, environ, start_response):
        time.sleep(self._delay_for(environ.get("PATH_INFO", "/")))  # outside the lock
        with self.sb.lock:
            chunks = list(self.wsgi_app(environ, start_response))
            pending, self.sb.outbox = self.sb.outbox, []
        deliver(self.sb, pending)
        return chunks

    def _delay_for(self, path: str) -> float:
        """Consume a matching delay_next rule: answer late (the change still happens)."""
        with self.sb.lock:
            for rule in self.sb.delays:
                if rule["count"] > 0 and path.startswith(rule["path_prefix"] or "/"):
                    rule["count"] -= 1
                    return rule["seconds"]
        return 0.0


def _is_api() -> bool:
    return not request.path.startswith("/_sandbox")


def _before():
    if not _is_api():
        return None
    sb = _store()
    sb.requests.append(_log_entry())
    _check_auth(sb)
    failure = _take_failure(sb, after_commit=False)
    if failure:
        return failure
    if request.method in _WRITES:
        request.snapshot = _snapshot(sb)
        return _replay(sb)
    return None


def _after(response: Response) -> Response:
    if _is_api():
        response = _record_outcome(_store(), response)
    response.headers["X-Request-Id"] = f"sandbox-{uuid.uuid4().hex[:16]}"  # the SDK needs one
    response.headers["Recurly-Version"] = f"recurly.{API_VERSION}"
    return response


def _record_outcome(sb: Store, response: Response) -> Response:
    """Log the status, remember the response for its Idempotency-Key, inject late failures."""
    sb.requests[-1]["status"] = response.status_code
    key = request.headers.get("Idempotency-Key")
    if key and request.method in _WRITES and response.status_code < 500:
        sb.idempotency.setdefault(key, (_fingerprint(), response.status_code, response.get_data()))
    return _take_failure(sb, after_commit=True) or response


def _check_auth(sb: Store) -> None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    try:
        key = base64.b64decode(encoded).decode().rstrip(":") if scheme == "Basic" else ""
    except ValueError:
        key = ""
    if key not in sb.api_keys:
        raise ApiError(401, "unauthorized", "Invalid API key: use HTTP Basic auth '<key>:'")
    accept = request.headers.get("Accept", "")
    if accept.split("+")[0] != f"application/vnd.recurly.{API_VERSION}":
        raise ApiError(406, "invalid_api_version",
                       f"Send 'Accept: application/vnd.recurly.{API_VERSION}'")


def _replay(sb: Store) -> Response | None:
    """Same Idempotency-Key + same request -> the stored response; a different request -> 400."""
    key = request.headers.get("Idempotency-Key")
    if not key or key not in sb.idempotency:
        return None
    fingerprint, status, payload = sb.idempotency[key]
    if fingerprint != _fingerprint():
        raise ApiError(400, "bad_request",
                       "Idempotency-Key was already used with different request parameters")
    response = Response(payload, status=status, content_type="application/json; charset=utf-8")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _fingerprint() -> str:
    raw = request.get_data()
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True) if raw else ""
    except ValueError:
        canonical = raw.decode(errors="replace")
    text = f"{request.method} {request.path}?{sorted(request.args.items(multi=True))} {canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _take_failure(sb: Store, *, after_commit: bool) -> Response | None:
    """Consume a matching fail_next rule: an error response before or after the change."""
    for rule in sb.failures:
        if rule["after_commit"] != after_commit or rule["count"] <= 0:
            continue
        if rule["path_prefix"] and not request.path.startswith(rule["path_prefix"]):
            continue
        if rule["method"] and rule["method"] != request.method:
            continue
        rule["count"] -= 1
        status = rule["status"]
        error = ApiError(status, _ERROR_TYPES.get(status, "bad_request"),
                         f"Injected {status} failure ({'after' if after_commit else 'before'}"
                         " the change was applied)")
        return _error_response(error)
    return None


def _snapshot(sb: Store):
    return copy.deepcopy(sb.objects), sb._seq, sb._invoice_number, len(sb.outbox)


def _rollback(sb: Store) -> None:
    snapshot = getattr(request, "snapshot", None)
    if snapshot is not None:
        sb.objects, sb._seq, sb._invoice_number, queued = snapshot
        del sb.outbox[queued:]


def _api_error(error: ApiError) -> Response:
    if not error.extra.get("transaction_error"):  # declined payments stay recorded
        _rollback(_store())
    return _error_response(error)


def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    return _error_response(ApiError(code, _ERROR_TYPES.get(code, "bad_request"),
                                    error.description or error.name))


def _crash(error: Exception) -> Response:
    _rollback(_store())
    return _error_response(ApiError(500, "internal_server_error", f"Sandbox error: {error!r}"))


def _error_response(error: ApiError) -> Response:
    response = Response(dumps(error.body()), status=error.status,
                        content_type="application/json; charset=utf-8")
    if error.status == 429:
        response.headers["Retry-After"] = "1"
    return response


def _log_entry() -> dict:
    names = ("Authorization", "Accept", "Idempotency-Key", "Content-Type", "User-Agent")
    raw = request.get_data()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return {"method": request.method, "path": request.path, "query": request.args.to_dict(),
            "headers": {n: request.headers[n] for n in names if n in request.headers},
            "body": parsed}

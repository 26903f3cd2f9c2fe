"""WSGI front: auth, form parsing, routing, injected failures, idempotency replay, JSON responses."""
from __future__ import annotations

import base64
import json
import sys
import traceback
from urllib.parse import parse_qsl

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from . import control
from .errors import StripeApiError, api_error, unrecognized_url
from .forms import parse_pairs, reject_unknown
from .idempotency import SavedResponse, fingerprint
from .routing import build_map
from .state import Call, SandboxState
from .templates import API_VERSION
from .views import present

_NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization "
           "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
           "https://stripe.com/docs/api#authentication for details, or we can help at "
           "https://support.stripe.com/.")


def api_key_of(request: Request) -> str:
    """The secret key from Bearer or Basic auth, or Stripe's 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        value = base64.b64decode(value.encode() or b"").decode(errors="replace").partition(":")[0]
    elif scheme.lower() != "bearer":
        value = ""
    value = value.strip()
    if not value:
        raise StripeApiError(_NO_KEY, type="authentication_error", status=401)
    if not value.startswith(("sk_test_", "sk_live_")) or len(value) <= 10:
        raise StripeApiError(f"Invalid API Key provided: {value[:8]}{'*' * 8}{value[-4:]}",
                             type="authentication_error", status=401)
    return value


def params_of(request: Request) -> dict:
    """Nested params from the query string (GET/DELETE) or the form body (POST)."""
    raw = request.get_data(as_text=True) if request.method == "POST" else ""
    pairs = parse_qsl(raw, keep_blank_values=True) if raw else []
    pairs += parse_qsl(request.query_string.decode(), keep_blank_values=True)
    return parse_pairs(pairs)


class SandboxApp:
    """The WSGI application; all state lives in `SandboxState`."""

    def __init__(self, state: SandboxState, sandbox: object) -> None:
        from . import handlers  # noqa: F401  (registers every route)
        self.state = state
        self.sandbox = sandbox
        self.url_map = build_map()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sandbox"):
            response = control.dispatch(self.sandbox, request)
        else:
            response = self.handle_api(request)
        return response(environ, start_response)

    def handle_api(self, request: Request) -> Response:
        request_id = self.state.store.new_id("req_", 14)
        idem_key = request.headers.get("Idempotency-Key") or None
        headers = {"Request-Id": request_id, "Stripe-Version": request.headers.get("Stripe-Version") or API_VERSION}
        if idem_key:
            headers["Idempotency-Key"] = idem_key
        try:
            api_key = api_key_of(request)
            route, url_args = self._match(request)
            params = params_of(request)
            call = Call(self.state, params, request.method, request.path, api_key, idem_key,
                        request_id, request.host_url.rstrip("/"))
            status, body, extra = self._execute(route, url_args, call)
            headers.update(extra)
        except StripeApiError as error:
            status, body = error.status, _encode(error.body())
        return Response(body, status=status, headers=headers, content_type="application/json")

    def _match(self, request: Request):
        try:
            return self.url_map.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            raise unrecognized_url(request.method, request.path) from None

    def _execute(self, route, url_args: dict, call: Call) -> tuple[int, bytes, dict]:
        with self.state.lock:
            self.state.request_log.append((call.method, call.path, call.idempotency_key))
            failure = self.state.take_failure(call.path)
            if failure is not None and not failure.after_commit:
                raise api_error(failure.status)
            keyed = call.idempotency_key is not None and call.method in ("POST", "DELETE")
            if keyed:
                saved = self.state.idempotency.lookup(call.api_key, call.idempotency_key, call.method,
                                                      call.path, call.params)
                if saved is not None:
                    return saved.status, saved.body, {"Idempotent-Replayed": "true",
                                                      "Original-Request": saved.request_id}
            status, body = self._run(route, url_args, call)
            if keyed and (status < 400 or status == 402):
                self.state.idempotency.save(call.api_key, call.idempotency_key, SavedResponse(
                    call.method, call.path, fingerprint(call.params), status, body, call.request_id))
            if failure is not None:
                raise api_error(failure.status)
            return status, body, {}

    def _run(self, route, url_args: dict, call: Call) -> tuple[int, bytes]:
        """Run a handler atomically: a 4xx/5xx undoes its changes; a card decline (402) is kept."""
        self.state.store.begin()
        try:
            if route.params is not None:
                reject_unknown(call.params, route.params)
            result = route.handler(call, **url_args)
            expand = call.params.get("expand") or []
            body = _encode(present(self.state.store, result, expand if isinstance(expand, list) else [expand]))
            self.state.commit()
            return 200, body
        except StripeApiError as error:
            if error.status == 402:
                self.state.commit()
            else:
                self.state.rollback()
            return error.status, _encode(error.body())
        except Exception:  # a sandbox bug must still answer like Stripe would (500 api_error)
            self.state.rollback()
            traceback.print_exc(file=sys.stderr)
            return 500, _encode(api_error(500, "Sandbox internal error.").body())


def _encode(body: object) -> bytes:
    return json.dumps(body).encode()

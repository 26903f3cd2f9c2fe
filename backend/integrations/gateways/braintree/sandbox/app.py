"""The WSGI app: Braintree's auth and headers, injected failures, the API, /_sandbox/ controls."""
from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import re
from decimal import Decimal
from typing import Any, Callable, Iterable

from werkzeug.wrappers import Request, Response

from . import api, billing, notifications, transactions, xmlcodec
from .store import KINDS, ApiError, FailureRule, Store

_MERCHANT_PATH = re.compile(r"^/merchants/([^/]+)(/.*)$")
Event = tuple[str, str, dict]


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, default=_json_default), status=status,
                    mimetype="application/json")


class SandboxApp:
    """Serves one merchant; every state change happens under the store's lock."""

    def __init__(self, store: Store, *, merchant_id: str, public_key: str, private_key: str):
        self.store = store
        self.merchant_id, self.public_key, self.private_key = merchant_id, public_key, private_key

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_sandbox/"):
            response = self.control(request)
        else:
            response = self.merchant_api(request)
        return response(environ, start_response)

    # --- the Braintree API ---------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.public_key}:{self.private_key}".encode()).decode()
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Basic {expected}".encode())

    def merchant_api(self, request: Request) -> Response:
        match = _MERCHANT_PATH.match(request.path)
        if match is None:
            return Response("", status=404)
        if not self._authorized(request) or match.group(1) != self.merchant_id:
            return Response("", status=401)
        if not request.headers.get("X-ApiVersion", "").isdigit():
            return Response("", status=426)
        return self._run(request.method, match.group(2), request)

    def _run(self, method: str, path: str, request: Request) -> Response:
        try:
            body = xmlcodec.parse_request(request.get_data())
        except xmlcodec.XmlInputError as exc:
            return Response(str(exc), status=400)
        call = api.Call(self.store, body, dict(request.args))
        with self.store.lock:
            status = self.store.take_failure(path, after_commit=False)
            if status is not None:
                return Response("", status=status)
            reply = api.dispatch(method, path, call)
            notes = self._render(call.events)
            failed_after = self.store.take_failure(path, after_commit=True)
        self._deliver(notes)
        if failed_after is not None:
            return Response("", status=failed_after)
        return Response(reply[1], status=reply[0], content_type="application/xml; charset=utf-8")

    # --- webhooks ------------------------------------------------------------------------------
    def _render(self, events: list[Event]) -> list[notifications.Notification]:
        if not self.store.webhook_urls:
            return []
        return [notifications.build(kind, tag, obj, timestamp=self.store.now(),
                                    public_key=self.public_key, private_key=self.private_key)
                for kind, tag, obj in events]

    def _deliver(self, notes: list[notifications.Notification]) -> None:
        urls = list(self.store.webhook_urls)
        for note in notes:
            notifications.deliver(note, urls, self.store.deliveries)

    def emit(self, kind: str, object_kind: str, object_id: str) -> notifications.Notification:
        """Send a notification of `kind` about a stored object to every endpoint."""
        tag = {"payment_method": "credit_card"}.get(object_kind, object_kind)
        with self.store.lock:
            obj = self.store.get(object_kind, object_id)
            if obj is None:
                raise KeyError(f"no {object_kind} {object_id!r}")
            note = notifications.build(kind, tag, obj, timestamp=self.store.now(),
                                       public_key=self.public_key, private_key=self.private_key)
        self._deliver([note])
        return note

    def mutate(self, change: Callable[[], tuple[dict, list[Event]]]) -> dict:
        """Run a control-side state change under the lock, then send the webhooks it causes."""
        with self.store.lock:
            obj, events = change()
            notes = self._render(events)
        self._deliver(notes)
        return obj

    def settle(self, transaction_id: str, outcome: str = "settled") -> dict:
        kinds = {"settled": "transaction_settled",
                 "settlement_declined": "transaction_settlement_declined"}

        def change() -> tuple[dict, list[Event]]:
            tx = self.store.get("transaction", transaction_id)
            if tx is None:
                raise KeyError(f"no transaction {transaction_id!r}")
            transactions.settle(self.store, tx, outcome)
            return tx, [(kinds[outcome], "transaction", tx)] if outcome in kinds else []
        return self.mutate(change)

    def open_dispute(self, transaction_id: str, **options: Any) -> dict:
        def change() -> tuple[dict, list[Event]]:
            dispute = billing.open_dispute(self.store, transaction_id, **options)
            return dispute, [("dispute_opened", "dispute", dispute)]
        return self.mutate(change)

    # --- /_sandbox/ controls -------------------------------------------------------------------
    def control(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")[1:]
        data = request.get_json(silent=True) or {}
        try:
            return self._control(request.method, parts, data)
        except (KeyError, ValueError, ApiError) as exc:
            return json_response({"error": str(exc)}, status=400)

    def _control(self, method: str, parts: list[str], data: dict) -> Response:
        if parts == ["reset"] and method == "POST":
            self.store.reset()
            return json_response({"reset": True})
        if parts == ["fail_next"] and method == "POST":
            self.store.failures.append(FailureRule(
                remaining=int(data.get("count", 1)), status=int(data.get("status", 500)),
                path_prefix=data.get("path_prefix") or "/",
                after_commit=bool(data.get("after_commit", False))))
            return json_response({"armed": True})
        if len(parts) == 3 and parts[0] == "transactions" and method == "POST":
            outcome = {"settle": "settled", "settlement_decline": "settlement_declined"}[parts[2]]
            return json_response(self.settle(parts[1], outcome))
        if parts == ["disputes"] and method == "POST":
            return json_response(self.open_dispute(data.pop("transaction_id"), **data))
        if parts == ["webhook_endpoints"] and method == "POST":
            self.store.webhook_urls.append(data["url"])
            return json_response({"urls": self.store.webhook_urls})
        if parts == ["clock"] and method == "POST":
            self.store.clock_offset += dt.timedelta(seconds=float(data["advance_seconds"]))
            return json_response({"now": self.store.now()})
        if len(parts) == 2 and parts[0] == "objects" and parts[1] in KINDS:
            return json_response(public_objects(self.store, parts[1]))
        if parts == ["deliveries"]:
            return json_response(self.store.deliveries)
        return json_response({"error": "unknown control"}, status=404)


def public_objects(store: Store, kind: str) -> list[dict[str, Any]]:
    """Copies of the stored objects of `kind` without the sandbox's private fields."""
    with store.lock:
        return [{k: v for k, v in obj.items() if not k.startswith("_")}
                for obj in store.objects[kind].values()]

"""Request/response helpers shared by the sandbox's route modules."""
from __future__ import annotations

import json
from decimal import Decimal

from flask import Response, current_app, request

from . import render as wire
from .store import ApiError, Store

STORE_KEY = "recurly_sandbox_store"


def store() -> Store:
    return current_app.extensions[STORE_KEY]


def body() -> dict:
    """The JSON request body with numbers as Decimals (money never becomes a float here)."""
    raw = request.get_data()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise ApiError(400, "bad_request", "The request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "bad_request", "The request body must be a JSON object")
    return parsed


def reply(payload, status: int = 200) -> Response:
    return Response(wire.dumps(payload), status=status,
                    content_type="application/json; charset=utf-8")


def one(kind: str, obj: dict, status: int = 200) -> Response:
    """A single resource rendered the way the API returns it."""
    return reply(wire.RENDERERS[kind](store(), obj), status)


def listing(kind: str, items) -> Response:
    """A Recurly list page over `items` honouring the request's paging parameters."""
    sb = store()
    page = sb.list_response(kind, list(items), request.args.to_dict(), request.path,
                            lambda obj: wire.RENDERERS[kind](sb, obj))
    return reply(page)


def flag(name: str) -> bool | None:
    """A boolean query parameter ("true"/"false"), None when absent."""
    value = request.args.get(name)
    return None if value is None else value.lower() == "true"


def transactions_matching(items):
    """Apply the `type` (payment = purchase + capture) and `success` filters of list endpoints."""
    wanted = request.args.get("type")
    types = {"purchase", "capture"} if wanted == "payment" else {wanted} if wanted else None
    success = flag("success")
    return [t for t in items if (types is None or t["type"] in types)
            and (success is None or t["success"] == success)]


def invoices_matching(items):
    """Apply the `type` (charge, credit, non-legacy, legacy) and `state` filters."""
    wanted, state = request.args.get("type"), request.args.get("state")
    types = {"charge", "credit"} if wanted == "non-legacy" else {wanted} if wanted else None
    return [i for i in items if (types is None or i["type"] in types)
            and (state is None or i["state"] == state)]


def subscriptions_matching(items):
    """Apply the `state` filter, including Recurly's `live` and `in_trial` pseudo-states."""
    state, now = request.args.get("state"), store().now()
    if state is None:
        return list(items)
    if state == "in_trial":
        return [s for s in items if s.get("trial_ends_at") and s["trial_ends_at"] > now]
    if state == "live":
        return [s for s in items if s["state"] in ("active", "canceled", "future")]
    return [s for s in items if s["state"] == state]

"""List endpoints: limit/starting_after/ending_before/created parsing and the `list` envelope."""
from __future__ import annotations

from typing import Callable

from .errors import invalid, not_found
from .forms import get_int, get_str
from .state import Call
from .store import PageRequest
from .templates import label
from .views import list_envelope


def created_range(params: dict, name: str = "created") -> dict | None:
    """`created=123` or `created[gte]=...` etc. -> {"gte": 123, ...}."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        exact = get_int(params, name)
        return {"gte": exact, "lte": exact}
    bounds = {}
    for op, value in raw.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise invalid(f"Received unknown parameter: {name}[{op}]", param=f"{name}[{op}]",
                          code="parameter_unknown")
        bounds[op] = get_int(raw, op)
    return bounds


def page_request(call: Call, kind: str, where: dict | None = None,
                 predicate: Callable[[dict], bool] | None = None) -> PageRequest:
    params = call.params
    limit = get_int(params, "limit", default=10)
    if not 1 <= limit <= 100:
        raise invalid(f"Invalid limit: must be between 1 and 100", param="limit")
    request = PageRequest(limit=limit, where={k: v for k, v in (where or {}).items() if v is not None},
                          created=created_range(params), predicate=predicate)
    for cursor in ("starting_after", "ending_before"):
        object_id = get_str(params, cursor)
        if object_id:
            if object_id not in call.store.kind(kind).position:
                raise not_found(label(kind), object_id, param=cursor)
            setattr(request, cursor, object_id)
    return request


def list_response(call: Call, kind: str, url: str, where: dict | None = None,
                  predicate: Callable[[dict], bool] | None = None) -> dict:
    """One page, newest first, as Stripe's `{"object": "list", ...}` (objects rendered later)."""
    items, has_more = call.store.page(kind, page_request(call, kind, where, predicate))
    return list_envelope(items, has_more, url)

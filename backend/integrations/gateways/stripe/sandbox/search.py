"""Stripe's Search Query Language, the subset support tools use: `email:'x' AND metadata['k']:'v'`."""
from __future__ import annotations

import base64
import re
from typing import Callable

from .errors import invalid
from .forms import get_int, get_str
from .state import Call

_CLAUSE = re.compile(
    r"""^(?P<neg>-)?(?:metadata\[(?P<q>['"])(?P<meta>[^'"]+)(?P=q)\]|(?P<field>[a-z_.]+))\s*"""
    r"""(?P<op>:|~|>=|<=|>|<)\s*(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)$""")
_JOINER = re.compile(r"\s+(AND|OR)\s+")


def compile_query(query: str) -> Callable[[dict], bool]:
    """A predicate for the query; 400 with Stripe's wording when it cannot be parsed."""
    parts = _JOINER.split(query.strip())
    clauses, joiners = parts[0::2], set(parts[1::2])
    if len(joiners) > 1:
        raise invalid("Search queries cannot mix AND and OR.", param="query")
    tests = [_clause(text) for text in clauses]
    if joiners == {"OR"}:
        return lambda obj: any(test(obj) for test in tests)
    return lambda obj: all(test(obj) for test in tests)


def _clause(text: str) -> Callable[[dict], bool]:
    match = _CLAUSE.match(text.strip())
    if match is None:
        raise invalid(f"Your query '{text}' is not valid.", param="query")
    raw = match["value"]
    value = raw[1:-1] if raw[:1] in ("'", '"') else raw
    field, meta, op = match["field"], match["meta"], match["op"]

    def read(obj: dict):
        if meta is not None:
            return (obj.get("metadata") or {}).get(meta)
        node = obj
        for part in field.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def test(obj: dict) -> bool:
        found = read(obj)
        if found is None:
            return False
        if op in (":", "~"):
            left, right = str(found).casefold(), value.casefold()
            if isinstance(found, bool):
                left = str(found).lower()
            return left == right if op == ":" else right in left
        return _compare(found, op, value)

    return (lambda obj: not test(obj)) if match["neg"] else test


def _compare(found, op: str, value: str) -> bool:
    try:
        left, right = float(found), float(value)
    except (TypeError, ValueError):
        return False
    return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[op]


def search_response(call: Call, kind: str, url: str) -> dict:
    """All matches newest first, paged with an opaque `page` token (offset)."""
    predicate = compile_query(get_str(call.params, "query", required=True))
    limit = get_int(call.params, "limit", default=10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    offset = _offset(get_str(call.params, "page"))
    matches = [obj for obj in reversed(list(call.store.all(kind))) if predicate(obj)]
    data = matches[offset:offset + limit]
    has_more = offset + limit < len(matches)
    next_page = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if has_more else None
    return {"object": "search_result", "data": data, "has_more": has_more, "next_page": next_page,
            "url": url}


def _offset(page: str | None) -> int:
    if not page:
        return 0
    try:
        return int(base64.urlsafe_b64decode(page.encode()).decode())
    except ValueError:
        raise invalid("Invalid page token.", param="page") from None

"""Braintree's XML dialect both ways, written without the SDK so the sandbox stays independent.

Requests carry typed nodes (type="array|boolean|integer|datetime"); responses must be one
document with one XML declaration, dashed tag names and the same typing, as the SDK parses them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

_ITEM_TAGS = {
    "credit_cards": "credit-card", "transactions": "transaction", "discounts": "discount",
    "add_ons": "add-on", "status_history": "status-event", "plans": "plan", "errors": "error",
    "disputes": "dispute", "evidence": "evidence",
}


class XmlInputError(ValueError):
    """The request body is not XML the sandbox can read."""


def parse_request(body: bytes) -> dict[str, Any]:
    """A request body as {root_tag: value} with snake_case keys; {} when empty."""
    if not body.strip():
        return {}
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise XmlInputError(f"malformed XML: {exc}") from None
    return {_key(root.tag): _parse_node(root)}


def _key(tag: str) -> str:
    return tag.replace("-", "_")


def _parse_node(node: ElementTree.Element) -> Any:
    kind = node.get("type")
    if kind == "array":
        return [_parse_node(child) for child in node]
    if len(node):
        return _parse_children(node)
    if node.get("nil") == "true":
        return None
    return _typed_text(kind, node.text or "")


def _parse_children(node: ElementTree.Element) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in node:
        result[_key(child.tag)] = _parse_node(child)
    return result


def _typed_text(kind: str | None, text: str) -> Any:
    if kind == "boolean":
        return text.strip() in ("true", "1")
    if kind == "integer":
        return int(text)
    if kind == "datetime":
        return parse_timestamp(text)
    return text


def parse_timestamp(text: str) -> dt.datetime:
    """'2024-05-01T10:00:00Z' (what the SDK sends) -> aware UTC datetime."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def document(root: str, value: Any) -> str:
    """One complete response document: a single declaration, then the root element."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + element(root, value)


def element(name: str, value: Any, item_tag: str | None = None) -> str:
    """`value` as an element named `name` (snake_case keys become dashed tags)."""
    tag = name.replace("_", "-")
    if value is None:
        return f'<{tag} nil="true"/>'
    if isinstance(value, bool):
        return f'<{tag} type="boolean">{str(value).lower()}</{tag}>'
    if isinstance(value, int):
        return f'<{tag} type="integer">{value}</{tag}>'
    if isinstance(value, dt.datetime):
        return f'<{tag} type="datetime">{_timestamp(value)}</{tag}>'
    if isinstance(value, dt.date):
        return f'<{tag} type="date">{value.isoformat()}</{tag}>'
    if isinstance(value, (list, tuple)):
        child = item_tag or _ITEM_TAGS.get(name, "item")
        inner = "".join(element(child, item) for item in value)
        return f'<{tag} type="array">{inner}</{tag}>'
    if isinstance(value, dict):
        return f"<{tag}>{_children(value)}</{tag}>"
    if isinstance(value, Decimal):
        return f"<{tag}>{value}</{tag}>"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _children(mapping: dict[str, Any]) -> str:
    """Public fields only: keys starting with '_' are the sandbox's own bookkeeping."""
    return "".join(element(k, v) for k, v in mapping.items() if not k.startswith("_"))


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def collection(root: str, item_tag: str, items: list[dict], **fields: Any) -> str:
    """A search page: <root type="collection"> with paging fields, then repeated items."""
    tag = root.replace("_", "-")
    head = "".join(element(k, v) for k, v in fields.items())
    body = "".join(element(item_tag, item) for item in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{tag} type="collection">{head}{body}</{tag}>')

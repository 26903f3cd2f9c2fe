"""Stripe's form encoding: `a[b][0][c]=v` and `x[]=v` into nested dicts/lists, plus typed readers."""
from __future__ import annotations

import re
from typing import Any, Iterable

from .errors import StripeApiError, invalid, missing_param

_KEY_PART = re.compile(r"\[([^\[\]]*)\]")
_APPEND = object()


def split_key(key: str) -> list[Any]:
    """`items[0][price]` -> ['items', '0', 'price']; `expand[]` -> ['expand', _APPEND]."""
    head, _, rest = key.partition("[")
    parts: list[Any] = [head]
    if rest:
        parts.extend(part if part else _APPEND for part in _KEY_PART.findall("[" + rest))
    return parts


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict:
    """Nest form pairs; dicts whose keys are all digits become lists (in index order)."""
    root: dict = {}
    for key, value in pairs:
        _assign(root, split_key(key), value)
    return _listify(root)


def _assign(node: dict, parts: list[Any], value: str) -> None:
    for depth, part in enumerate(parts[:-1]):
        if part is _APPEND:
            part = str(len(node))
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    last = parts[-1]
    node[str(len(node)) if last is _APPEND else last] = value


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(child) for key, child in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


# --- typed readers: each raises Stripe's 400 with the offending param name --------------------

def get_str(params: dict, name: str, *, required: bool = False, default: str | None = None) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise missing_param(name)
        return default
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", param=name, code="parameter_invalid_string")
    return value


def get_int(params: dict, name: str, *, required: bool = False, default: int | None = None,
            minimum: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing_param(name)
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer") from None
    if minimum is not None and value < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param=name,
                      code="parameter_invalid_integer")
    return value


def get_number(params: dict, name: str, *, required: bool = False) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise missing_param(name)
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid decimal: {raw}", param=name, code="parameter_invalid_decimal") from None
    return int(value) if value.is_integer() else value


def get_bool(params: dict, name: str, *, default: bool | None = None) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw in ("true", "false"):
        return raw == "true"
    raise invalid(f"Invalid boolean: {raw}", param=name)


def get_enum(params: dict, name: str, choices: tuple[str, ...], *, default: str | None = None,
             required: bool = False) -> str | None:
    value = get_str(params, name, required=required, default=default)
    if value is not None and value not in choices:
        listed = ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]
        raise invalid(f"Invalid {name}: must be one of {listed}", param=name)
    return value


def get_list(params: dict, name: str) -> list | None:
    """A list param; Stripe's empty string ("") means "clear" and reads as []."""
    raw = params.get(name)
    if raw is None:
        return None
    if raw == "":
        return []
    if isinstance(raw, list):
        return raw
    if isinstance(raw, dict):
        raise invalid(f"Invalid array: {name}", param=name)
    return [raw]


def get_dict(params: dict, name: str) -> dict | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, dict):
        raise invalid(f"Invalid object: {name}", param=name, code="parameter_invalid_object")
    return raw


def merge_metadata(current: dict | None, params: dict, name: str = "metadata") -> dict:
    """Stripe metadata update: keys merge, `k=""` deletes a key, `metadata=""` clears all."""
    if name not in params:
        return dict(current or {})
    raw = params[name]
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid("Invalid hash: metadata", param=name, code="parameter_invalid_object")
    merged = dict(current or {})
    for key, value in raw.items():
        if not isinstance(value, str):
            raise invalid(f"Invalid value for metadata[{key}]", param=f"{name}[{key}]")
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise invalid("You can only set up to 50 metadata keys.", param=name)
    return merged


def reject_unknown(params: dict, allowed: Iterable[str]) -> None:
    """400 parameter_unknown for the first top-level param not in `allowed` (expand always OK)."""
    allowed_set = set(allowed) | {"expand"}
    for name in params:
        if name not in allowed_set:
            raise StripeApiError(f"Received unknown parameter: {name}", code="parameter_unknown",
                                 param=name)

"""Turn stored objects into API responses: merge fixture defaults, embed sub-lists, expand ids."""
from __future__ import annotations

from typing import Any, Callable

from .errors import invalid
from .store import PageRequest, Store
from .templates import DEFAULTS, FIELD_KINDS, PREFIXES


def render(store: Store, obj: dict) -> dict:
    """The full API shape of one stored object (a new top-level dict; nested values are shared)."""
    if obj.get("deleted"):
        return dict(obj)
    kind = obj.get("object", "")
    out = {**DEFAULTS.get(kind, {}), **obj}
    for hidden in _HIDDEN.get(kind, ()):
        out.pop(hidden, None)
    hook = _HOOKS.get(kind)
    if hook is not None:
        hook(store, out)
    return out


# Stored-only fields that the API does not show.
_HIDDEN: dict[str, tuple[str, ...]] = {"line_item": ("_tax_rates",), "invoice": ("_days_until_due",)}


def list_envelope(data: list, has_more: bool, url: str) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def sublist(store: Store, kind: str, where: dict, url: str, limit: int = 10) -> dict:
    """An embedded list (charge.refunds, invoice.lines, subscription.items)."""
    items, has_more = store.page(kind, PageRequest(limit=limit, where=where))
    return list_envelope([render(store, item) for item in items], has_more, url)


def present(store: Store, result: Any, expand: list[str]) -> Any:
    """Render a handler's result (object or list envelope) and apply `expand[]` paths."""
    if isinstance(result, dict) and result.get("object") in ("list", "search_result"):
        result = {**result, "data": [render(store, item) for item in result["data"]]}
    elif isinstance(result, dict) and "object" in result:
        result = render(store, result)
    for path in expand:
        _expand(store, result, path.split("."), path, depth=0)
    return result


def resolve(store: Store, field: str, object_id: str) -> dict | None:
    """The stored object an expandable id points at, by id prefix or else by field name."""
    kind = next((k for prefix, k in PREFIXES.items() if object_id.startswith(prefix)), None)
    kind = kind or FIELD_KINDS.get(field)
    found = store.get(kind, object_id) if kind else None
    return render(store, found) if found is not None else None


def _expand(store: Store, node: Any, parts: list[str], full: str, depth: int) -> None:
    if depth > 4:
        raise invalid(f"You cannot expand more than 4 levels of a property. Property: {full}",
                      param="expand")
    if isinstance(node, list):
        for item in node:
            _expand(store, item, parts, full, depth)
        return
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if head not in node and not _include(store, node, head):
        raise invalid(f"This property cannot be expanded ({full}).", param="expand")
    value = _expanded_value(store, head, node[head], full)
    if rest:
        value = _copy_for_write(value)
        _expand(store, value, rest, full, depth + 1)
    node[head] = value


def _expanded_value(store: Store, field: str, value: Any, full: str) -> Any:
    if isinstance(value, str):
        found = resolve(store, field, value)
        if found is None:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        return found
    if isinstance(value, list):
        return [_expanded_value(store, field, item, full) if isinstance(item, str) else item
                for item in value]
    return value


def _copy_for_write(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else item for item in value]
    return value


def _include(store: Store, node: dict, field: str) -> bool:
    """Fields Stripe only returns when asked for (`includable`), e.g. invoice.payments."""
    if node.get("object") == "invoice" and field == "payments":
        node["payments"] = sublist(store, "invoice_payment", {"invoice": node["id"]},
                                   f"/v1/invoices/{node['id']}/payments")
        return True
    return False


# --- per-kind hooks filling computed fields ---------------------------------------------------

def _charge(store: Store, out: dict) -> None:
    out["refunds"] = sublist(store, "refund", {"charge": out["id"]}, f"/v1/charges/{out['id']}/refunds")


def _subscription(store: Store, out: dict) -> None:
    out["items"] = sublist(store, "subscription_item", {"subscription": out["id"]},
                           f"/v1/subscription_items?subscription={out['id']}", limit=100)


def _subscription_item(store: Store, out: dict) -> None:
    price = store.get("price", out["price"]) if isinstance(out.get("price"), str) else None
    if price is not None:
        out["price"] = render(store, price)
        out["plan"] = plan_view(out["price"])


def _invoice(store: Store, out: dict) -> None:
    out["lines"] = sublist(store, "line_item", {"invoice": out["id"]}, f"/v1/invoices/{out['id']}/lines")


def _customer(store: Store, out: dict) -> None:
    if isinstance(out.get("discount"), str):
        found = store.get("discount", out["discount"])
        out["discount"] = render(store, found) if found else None


def plan_view(price: dict) -> dict | None:
    """The legacy `plan` that Stripe still mirrors from a recurring price."""
    recurring = price.get("recurring")
    if not recurring:
        return None
    return {
        "active": price["active"], "amount": price.get("unit_amount"),
        "amount_decimal": price.get("unit_amount_decimal"), "billing_scheme": price["billing_scheme"],
        "created": price["created"], "currency": price["currency"], "id": price["id"],
        "interval": recurring["interval"], "interval_count": recurring["interval_count"],
        "livemode": False, "metadata": price["metadata"], "meter": None, "nickname": price["nickname"],
        "object": "plan", "product": price["product"], "tiers_mode": None, "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"), "usage_type": "licensed",
    }


_HOOKS: dict[str, Callable[[Store, dict], None]] = {
    "charge": _charge, "subscription": _subscription, "subscription_item": _subscription_item,
    "invoice": _invoice, "customer": _customer,
}

"""Which one-click actions the agent may start on an object, and the reasons they can give.

The rules (gateway capability x object state x role) belong to the actions pipeline; the
sidebar only asks. Imported lazily so the sidebar still reads when that module is absent.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Any, Callable

from ..auth.principal import Principal


# Mirrors backend.actions.intake.DEFAULT_REASON_CODES, which validates what the sidebar sends.
DEFAULT_REASON_CODES = ("duplicate", "fraudulent", "requested_by_customer", "other")
REASON_LABELS = {"duplicate": "Duplicate charge", "fraudulent": "Fraudulent",
                 "requested_by_customer": "Requested by customer", "other": "Other (say why)"}


def _actions_function() -> Callable | None:
    try:
        module = import_module("backend.actions.permissions")
    except ImportError:
        return None
    return getattr(module, "allowed_actions", None)


def action_checker(principal: Principal) -> Callable[[str, str, Any], list[str]]:
    """(connection_kind, target_type, row) -> allowed action kinds for this principal."""
    allowed = _actions_function()
    if allowed is None or not principal.can_act:
        return lambda _kind, _type, _row: []

    def check(connection_kind: str, target_type: str, row: Any) -> list[str]:
        return list(allowed(principal, connection_kind, target_type, row))

    return check


def reason_codes(settings: dict | None) -> list[dict[str, str]]:
    """The account's reasons (settings["reason_codes"], codes) as {code, label}; 'other' always last."""
    configured = (settings or {}).get("reason_codes") or _default_codes()
    return list(_reason_views(tuple(str(code) for code in configured)))


@lru_cache(maxsize=256)
def _reason_views(configured: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """Built once per list of codes (every sidebar view asks): shared, so callers must not change them."""
    codes = dict.fromkeys(code for code in configured if code != "other")
    return (*({"code": code, "label": _label(code)} for code in codes), {"code": "other", "label": _label("other")})


def _default_codes() -> tuple[str, ...]:
    try:
        return tuple(import_module("backend.actions.intake").DEFAULT_REASON_CODES)
    except (ImportError, AttributeError):
        return DEFAULT_REASON_CODES


def _label(code: str) -> str:
    return REASON_LABELS.get(code) or code.replace("_", " ").capitalize()

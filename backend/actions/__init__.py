"""One-click actions: one module per action (refund, capture ...) and the pipeline that runs them.

The registry below is the one place that lists the actions; everything else looks a kind up here.
Submitting lives in `intake`, executing in `pipeline`, recovery in `reaper`, notes in `notify`.
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType

from .base import ActionContext, ActionRejected

ACTION_KINDS: tuple[str, ...] = (
    "refund", "capture", "void", "cancel_subscription", "create_subscription",
    "send_invoice", "apply_coupon", "add_tax_id",
)
_loaded: dict[str, ModuleType] = {}


def action_module(kind: str) -> ModuleType:
    """The module implementing `kind`; ActionRejected(422) for an unknown kind."""
    if kind not in ACTION_KINDS:
        raise ActionRejected(422, f"Unknown action {kind!r}; choose one of: {', '.join(ACTION_KINDS)}.",
                             {"kind": ["Unknown action."]})
    if kind not in _loaded:
        _loaded[kind] = import_module(f"{__name__}.{kind}")
    return _loaded[kind]


def action_modules() -> list[ModuleType]:
    return [action_module(kind) for kind in ACTION_KINDS]


__all__ = ["ACTION_KINDS", "ActionContext", "ActionRejected", "action_module", "action_modules"]

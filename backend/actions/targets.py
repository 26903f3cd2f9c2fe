"""What an action points at: our mirrored row (as the customers API returns its id)."""
from __future__ import annotations

from ..models import Charge, Customer, Invoice, Subscription
from ..tenancy import TenantScope
from .base import ActionRejected

TARGET_MODELS = {"charge": Charge, "subscription": Subscription, "customer": Customer, "invoice": Invoice}


def resolve_target_type(module, requested: str | None) -> str:
    """The requested target type if the action accepts it; by default the action's first one."""
    if requested is None:
        return module.TARGET_TYPES[0]
    if requested not in module.TARGET_TYPES:
        raise ActionRejected(422, f"A {module.KIND} applies to a {' or a '.join(module.TARGET_TYPES)}, "
                                  f"not a {requested}.", {"target_type": ["Not valid for this action."]})
    return requested


def load_target(scope: TenantScope, target_type: str, target_id: int):
    """The row of this account, or a 404 phrased for a person."""
    row = scope.get(TARGET_MODELS[target_type], target_id)
    if row is None:
        raise ActionRejected(404, f"No {target_type} {target_id} in this account.")
    return row


def customer_id_of(target_type: str, row) -> int | None:
    return row.id if target_type == "customer" else row.customer_id

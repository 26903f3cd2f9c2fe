"""Who may do what, and which actions make sense for an object right now (pure functions).

`allowed_actions` is what the sidebar shows as buttons: capability of the gateway x state of the
object x role of the principal. It reads only the arguments (no database, no request).
"""
from __future__ import annotations

from ..auth.principal import Principal
from ..integrations.gateways import adapter_class
from ..integrations.gateways.errors import GatewayError
from . import action_modules
from .base import ActionRejected

TARGET_TYPES = ("charge", "subscription", "customer", "invoice")


def gateway_capabilities(connection_kind: str) -> frozenset:
    """What the gateway can do; empty for a gateway we do not know (nothing is offered)."""
    try:
        return frozenset(adapter_class(connection_kind).capabilities)
    except (GatewayError, ImportError):
        return frozenset()


def allowed_actions(principal: Principal, connection_kind: str, target_type: str, target_row) -> list[str]:
    """Action kinds this principal may start on this object now, in registry order."""
    if not principal.can_act or target_type not in TARGET_TYPES:
        return []
    capabilities = gateway_capabilities(connection_kind)
    return [module.KIND for module in action_modules()
            if target_type in module.TARGET_TYPES
            and module.supported(target_type, capabilities)
            and module.available(target_type, target_row)]


def check_can_act(principal: Principal) -> None:
    """403 unless the principal's role may start actions (viewers may only look)."""
    if principal.role == "viewer":
        raise ActionRejected(403, "Viewers cannot act: ask an agent or an admin.")
    if not principal.can_act:
        raise ActionRejected(403, f"The role {principal.role!r} cannot start actions.")


def check_can_approve(principal: Principal) -> None:
    if not principal.can_approve:
        raise ActionRejected(403, "Only an owner or an admin can approve or reject an action.")

"""The principal: one shape for every way of acting on an account."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .host_keys import HostKeyStamp

ACTING_ROLES = ("owner", "admin", "agent")
APPROVING_ROLES = ("owner", "admin")


@dataclass(frozen=True)
class Principal:
    """Who acts. API keys act as the account's owner; sidebar tokens as a helpdesk agent."""

    account_id: int
    role: str
    kind: str  # api_key | sidebar | session
    user_id: int | None = None
    display_name: str = ""
    refund_limit_minor: int | None = None  # None: no personal limit (the role's default applies)
    helpdesk: dict[str, Any] = field(default_factory=dict)  # kind, installation_id, external_user_id
    host_key: HostKeyStamp | None = None  # sidebar sessions: the host key their load was verified with

    @property
    def can_act(self) -> bool:
        return self.role in ACTING_ROLES

    @property
    def can_approve(self) -> bool:
        return self.role in APPROVING_ROLES

    def audit_actor(self) -> dict[str, Any]:
        """How this principal is written into the audit trail."""
        actor = {"kind": self.kind, "role": self.role, "name": self.display_name, "user_id": self.user_id}
        if self.helpdesk:
            actor["helpdesk"] = dict(self.helpdesk)
        return actor

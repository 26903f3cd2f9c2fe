"""Helpdesks: the client contract and a registry keyed by helpdesk name (like gateways)."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, ClassVar, Mapping, Protocol, runtime_checkable

_CLIENTS: dict[str, str] = {
    "zendesk": "backend.integrations.helpdesks.zendesk.client:ZendeskHelpdesk",
}


@dataclass(frozen=True)
class HelpdeskConfig:
    """One installation, secrets decrypted. `save_credentials` persists refreshed OAuth tokens."""

    installation_id: int
    external_id: str  # Zendesk subdomain, Intercom workspace id ...
    credentials: Mapping[str, Any]
    api_base: str | None = None  # loopback emulator in tests; None = the vendor's
    settings: Mapping[str, Any] = field(default_factory=dict)
    save_credentials: Callable[[dict], None] | None = None


class HelpdeskError(Exception):
    retryable = False

    def __init__(self, message: str, *, retryable: bool = False, reconnect: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.reconnect = reconnect  # the token was revoked: an admin must reconnect


@runtime_checkable
class HelpdeskClient(Protocol):
    name: ClassVar[str]

    def __init__(self, config: HelpdeskConfig) -> None: ...

    def post_private_note(self, *, ticket_id: str, body: str) -> None:
        """An internal note on the ticket, visible to agents only."""


def helpdesk_names() -> tuple[str, ...]:
    return tuple(sorted(_CLIENTS))


def helpdesk_client_class(name: str) -> type:
    path = _CLIENTS.get(name)
    if path is None:
        raise HelpdeskError(f"unknown helpdesk {name!r}")
    module_name, _, attr = path.partition(":")
    return getattr(import_module(module_name), attr)


def build_helpdesk_client(name: str, config: HelpdeskConfig) -> HelpdeskClient:
    return helpdesk_client_class(name)(config)

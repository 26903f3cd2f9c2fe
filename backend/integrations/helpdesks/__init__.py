"""Helpdesks: the client contract and a registry keyed by helpdesk name (like gateways)."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, ClassVar, Mapping, Protocol, runtime_checkable

_CLIENTS: dict[str, str] = {
    "zendesk": "backend.integrations.helpdesks.zendesk.client:ZendeskHelpdesk",
}
# Per helpdesk: post a note for a stored installation (token refresh under a lock, saving the
# rotated tokens, marking the installation reconnect_required when the grant was revoked).
_NOTE_POSTERS: dict[str, str] = {
    "zendesk": "backend.integrations.helpdesks.zendesk.installations:post_private_note",
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


def _resolve(table: dict[str, str], name: str):
    path = table.get(name)
    if path is None:
        raise HelpdeskError(f"unknown helpdesk {name!r}")
    module_name, _, attr = path.partition(":")
    return getattr(import_module(module_name), attr)


def helpdesk_client_class(name: str) -> type:
    return _resolve(_CLIENTS, name)


def post_private_note(kind: str, *, installation_id: int, ticket_id: str, body: str) -> None:
    """An internal note on a ticket of a stored installation; HelpdeskError says if retryable.

    Helpdesks with OAuth upkeep register a poster; others get a client built from the stored row.
    """
    poster = _resolve(_NOTE_POSTERS, kind) if kind in _NOTE_POSTERS else _post_with_stored_config
    poster(installation_id=installation_id, ticket_id=ticket_id, body=body)


def _post_with_stored_config(*, installation_id: int, ticket_id: str, body: str) -> None:
    from backend.db import session
    from backend.models import HelpdeskInstallation

    row = session().get(HelpdeskInstallation, installation_id)
    if row is None:
        raise HelpdeskError(f"helpdesk installation {installation_id} does not exist")
    config = HelpdeskConfig(installation_id=row.id, external_id=row.external_id,
                            credentials=dict(row.credentials or {}),
                            api_base=(row.settings or {}).get("api_base"), settings=dict(row.settings or {}))
    build_helpdesk_client(row.kind, config).post_private_note(ticket_id=ticket_id, body=body)


def build_helpdesk_client(name: str, config: HelpdeskConfig) -> HelpdeskClient:
    return helpdesk_client_class(name)(config)

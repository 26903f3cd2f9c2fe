"""Helpdesks: the host contract (host.py) and the registry keyed by helpdesk kind (like gateways).

The registry maps a kind to the import path of its HelpdeskHost, imported on first use, so a
deployment that only uses Zendesk never imports another helpdesk's SDK. This is the one place
that knows which helpdesks exist; nothing else branches on a helpdesk's kind.
Adding a helpdesk = one line in _HOSTS (see README, "Adding a helpdesk").
"""
from __future__ import annotations

from dataclasses import dataclass, field
import inspect
from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .host import HelpdeskHost

_HOSTS: dict[str, str] = {
    "zendesk": "backend.integrations.helpdesks.zendesk.host:ZendeskHost",
    "helpscout": "backend.integrations.helpdesks.helpscout.host:HelpScoutHost",
    "intercom": "backend.integrations.helpdesks.intercom.host:IntercomHost",
}
_loaded_hosts: dict[str, "HelpdeskHost"] = {}
# The API client class by kind, for code written before the host contract (tests, scripts).
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

    def post_private_note(self, *, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
        """An internal note on the ticket, visible to agents only (once per key, when given)."""


def helpdesk_names() -> tuple[str, ...]:
    """Every registered helpdesk kind, sorted."""
    return tuple(sorted(_HOSTS))


def register_host(kind: str, import_path: str) -> None:
    """Add or replace a helpdesk host (plugins, tests)."""
    _HOSTS[kind] = import_path
    _loaded_hosts.pop(kind, None)


def helpdesk_host(kind: str) -> "HelpdeskHost":
    """The host registered under `kind` (one stateless instance per process); HelpdeskError if none."""
    if kind not in _loaded_hosts:
        if kind not in _HOSTS:
            raise HelpdeskError(f"unknown helpdesk {kind!r}; known: {', '.join(helpdesk_names())}")
        _loaded_hosts[kind] = _resolve(_HOSTS, kind)()
    return _loaded_hosts[kind]


def _resolve(table: dict[str, str], name: str):
    path = table.get(name)
    if path is None:
        raise HelpdeskError(f"unknown helpdesk {name!r}")
    module_name, _, attr = path.partition(":")
    return getattr(import_module(module_name), attr)


def helpdesk_client_class(name: str) -> type:
    """The API client class of a kind listed in _CLIENTS (new code asks helpdesk_host(kind).api)."""
    return _resolve(_CLIENTS, name)


def post_private_note(kind: str, *, installation_id: int, ticket_id: str, body: str,
                      idempotency_key: str | None = None) -> None:
    """An internal note on a ticket of a stored installation; HelpdeskError says if retryable.

    `idempotency_key` (the action run id): a retried job with the same key posts the note once;
    each host carries it as a marker on the note and checks the ticket before posting.
    The host does the upkeep: token refresh under a lock, saving rotated tokens, marking the
    installation reconnect_required when the grant was revoked. A kind with only a client class
    (no host) gets that client built from the stored row.
    """
    if kind in _HOSTS or kind not in _CLIENTS:
        host = helpdesk_host(kind)
        host.post_private_note(installation_id=installation_id, ticket_id=ticket_id, body=body,
                               **_note_key(host.post_private_note, idempotency_key))
        return
    _post_with_stored_config(installation_id=installation_id, ticket_id=ticket_id, body=body,
                             idempotency_key=idempotency_key)


def _note_key(post: Callable[..., None], idempotency_key: str | None) -> dict[str, str]:
    """The key as a keyword argument, for a `post_private_note` that takes one. Transitional: a
    host or client written before the key (a plugin, a host being built) still gets its note."""
    if idempotency_key is None or "idempotency_key" not in inspect.signature(post).parameters:
        return {}
    return {"idempotency_key": idempotency_key}


def _post_with_stored_config(*, installation_id: int, ticket_id: str, body: str,
                             idempotency_key: str | None = None) -> None:
    from backend.db import session
    from backend.models import HelpdeskInstallation

    row = session().get(HelpdeskInstallation, installation_id)
    if row is None:
        raise HelpdeskError(f"helpdesk installation {installation_id} does not exist")
    config = HelpdeskConfig(installation_id=row.id, external_id=row.external_id,
                            credentials=dict(row.credentials or {}),
                            api_base=(row.settings or {}).get("api_base"), settings=dict(row.settings or {}))
    client = build_helpdesk_client(row.kind, config)
    client.post_private_note(ticket_id=ticket_id, body=body, **_note_key(client.post_private_note, idempotency_key))


def build_helpdesk_client(name: str, config: HelpdeskConfig) -> HelpdeskClient:
    """The API client of one installation (a kind's legacy client class if listed, else its host's)."""
    if name in _CLIENTS:
        return helpdesk_client_class(name)(config)
    return helpdesk_host(name).api(config)


__all__ = [
    "HelpdeskClient", "HelpdeskConfig", "HelpdeskError", "build_helpdesk_client", "helpdesk_client_class",
    "helpdesk_host", "helpdesk_names", "post_private_note", "register_host",
]

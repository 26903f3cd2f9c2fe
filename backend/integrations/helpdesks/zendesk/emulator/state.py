"""The emulator's memory: users, OAuth grants and tokens, tickets, armed faults (thread-safe)."""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import current_app

CODE_LIFETIME_SECONDS = 120  # Zendesk: an authorization code is valid for 120 seconds


@dataclass
class ZendeskUser:
    id: int
    subdomain: str
    email: str
    name: str
    role: str  # admin | agent | end-user
    created_at: float
    active: bool = True
    suspended: bool = False


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()  # empty: any redirect URI is accepted
    access_ttl: int = 7200
    refresh_ttl: int = 30 * 24 * 3600


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    code: str
    subdomain: str
    client_id: str
    redirect_uri: str
    user_id: int
    scope: str
    code_challenge: str | None
    issued_at: float
    used: bool = False


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    subdomain: str
    client_id: str
    user_id: int
    scope: str
    access_expires_at: float
    refresh_expires_at: float
    revoked: bool = False


@dataclass
class Ticket:
    id: int
    subdomain: str
    subject: str
    requester_id: int | None
    created_at: float
    comments: list[dict] = field(default_factory=list)
    status: str = "open"


@dataclass
class AppInstallation:
    """An installed app in one Zendesk account; the app (its id) owns the signing key pair."""

    id: int
    subdomain: str
    app_id: int
    created_at: float
    enabled: bool = True


@dataclass
class Fault:
    count: int
    status: int
    path_prefix: str


class EmulatorState:
    """Everything the emulator knows; every access happens under `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.users: dict[tuple[str, int], ZendeskUser] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: list[TokenPair] = []
        self.tickets: dict[tuple[str, int], Ticket] = {}
        self.faults: list[Fault] = []
        self.request_log: list[tuple[str, str]] = []
        self.token_requests: list[dict] = []
        self.app_keys: dict[str, tuple[str, str]] = {}  # app id -> (private PEM, public PEM)
        self.app_installations: dict[tuple[str, int], AppInstallation] = {}  # (subdomain, id) -> it
        self.clock_offset = 0.0
        self._ids = itertools.count(360000000001)
        self._ticket_ids = itertools.count(101)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def next_id(self) -> int:
        return next(self._ids)

    def next_ticket_id(self) -> int:
        return next(self._ticket_ids)

    # --- tokens -----------------------------------------------------------------------------
    def issue_tokens(self, *, subdomain: str, client: OAuthClient, user_id: int, scope: str) -> TokenPair:
        now = self.now()
        pair = TokenPair(access_token=secrets.token_hex(32), refresh_token=secrets.token_hex(32),
                         subdomain=subdomain, client_id=client.client_id, user_id=user_id, scope=scope,
                         access_expires_at=now + client.access_ttl,
                         refresh_expires_at=now + client.refresh_ttl)
        self.tokens.append(pair)
        return pair

    def pair_for_access(self, subdomain: str, access_token: str) -> TokenPair | None:
        """The live pair whose access token this is, in this subdomain."""
        for pair in self.tokens:
            if pair.access_token == access_token and pair.subdomain == subdomain:
                live = not pair.revoked and pair.access_expires_at > self.now()
                return pair if live else None
        return None

    def pair_for_refresh(self, subdomain: str, refresh_token: str) -> TokenPair | None:
        for pair in self.tokens:
            if pair.refresh_token == refresh_token and pair.subdomain == subdomain:
                live = not pair.revoked and pair.refresh_expires_at > self.now()
                return pair if live else None
        return None

    def revoke(self, subdomain: str, user_id: int | None = None) -> int:
        """Revoke every token of the subdomain (or of one user); returns how many pairs."""
        hits = [p for p in self.tokens if p.subdomain == subdomain and not p.revoked
                and (user_id is None or p.user_id == user_id)]
        for pair in hits:
            pair.revoked = True
        return len(hits)

    # --- faults -----------------------------------------------------------------------------
    def take_fault(self, path: str) -> Fault | None:
        """The armed fault matching this path, consuming one of its counts."""
        for fault in self.faults:
            if fault.count > 0 and path.startswith(fault.path_prefix):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None


EXTENSION_KEY = "zendesk_emulator_state"


def emulator_state() -> EmulatorState:
    """The state of the emulator app serving this request."""
    return current_app.extensions[EXTENSION_KEY]

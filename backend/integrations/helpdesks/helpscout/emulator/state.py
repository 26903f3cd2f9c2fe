"""The emulator's memory: users, OAuth clients, codes and tokens, conversations with threads, faults."""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import current_app

CODE_LIFETIME_SECONDS = 600
ACCESS_TTL_SECONDS = 172_800  # Help Scout: access tokens live two days
EXTENSION_KEY = "helpscout_emulator_state"


@dataclass
class HelpScoutUser:
    id: int
    company_id: int
    email: str
    first_name: str
    last_name: str
    role: str  # owner | admin | user
    created_at: float
    active: bool = True


@dataclass
class OAuthApp:
    """An app under Your Profile › My Apps: its redirect URL is fixed there, not sent per request."""

    client_id: str
    client_secret: str
    redirect_uri: str
    access_ttl: int = ACCESS_TTL_SECONDS


@dataclass
class Grant:
    code: str
    client_id: str
    user_id: int
    issued_at: float
    used: bool = False


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    client_id: str
    user_id: int
    access_expires_at: float
    revoked: bool = False


@dataclass
class Conversation:
    id: int
    number: int
    company_id: int
    mailbox_id: int
    subject: str
    customer_email: str | None
    created_at: float
    threads: list[dict] = field(default_factory=list)
    status: str = "active"


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
        self.users: dict[int, HelpScoutUser] = {}
        self.apps: dict[str, OAuthApp] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: list[TokenPair] = []
        self.conversations: dict[int, Conversation] = {}
        self.faults: list[Fault] = []
        self.request_log: list[tuple[str, str]] = []
        self.token_requests: list[dict] = []
        self.clock_offset = 0.0
        self._user_ids = itertools.count(4001)
        self._conversation_ids = itertools.count(900001)
        self._thread_ids = itertools.count(70000001)

    def now(self) -> float:
        return time.time() + self.clock_offset

    def next_user_id(self) -> int:
        return next(self._user_ids)

    def next_conversation_id(self) -> int:
        return next(self._conversation_ids)

    def next_thread_id(self) -> int:
        return next(self._thread_ids)

    def issue_tokens(self, app: OAuthApp, user_id: int) -> TokenPair:
        pair = TokenPair(access_token=secrets.token_hex(16), refresh_token=secrets.token_hex(16),
                         client_id=app.client_id, user_id=user_id, access_expires_at=self.now() + app.access_ttl)
        self.tokens.append(pair)
        return pair

    def pair_for_access(self, access_token: str) -> TokenPair | None:
        for pair in self.tokens:
            if pair.access_token == access_token:
                return pair if not pair.revoked and pair.access_expires_at > self.now() else None
        return None

    def pair_for_refresh(self, refresh_token: str) -> TokenPair | None:
        for pair in self.tokens:
            if pair.refresh_token == refresh_token:
                return None if pair.revoked else pair
        return None

    def revoke_user(self, user_id: int) -> int:
        hits = [p for p in self.tokens if p.user_id == user_id and not p.revoked]
        for pair in hits:
            pair.revoked = True
        return len(hits)

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.count > 0 and path.startswith(fault.path_prefix):
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None


def emulator_state() -> EmulatorState:
    return current_app.extensions[EXTENSION_KEY]

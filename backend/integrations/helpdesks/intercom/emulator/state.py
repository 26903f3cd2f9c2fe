"""The emulator's memory: teammates, OAuth apps, codes and tokens, contacts, conversations with parts."""
from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import current_app

EXTENSION_KEY = "intercom_emulator_state"
CODE_LIFETIME_SECONDS = 600


@dataclass
class Admin:
    id: str
    email: str
    name: str
    workspace_id: str = "ws-acme"
    active: bool = True


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass
class Conversation:
    id: str
    contact_id: str | None
    title: str | None
    body: str
    created_at: int
    parts: list[dict] = field(default_factory=list)


@dataclass
class Fault:
    count: int
    status: int
    path_prefix: str = ""


class EmulatorState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.admins: dict[str, Admin] = {}
        self.apps: dict[str, OAuthApp] = {}
        self.grants: dict[str, tuple[str, str, float]] = {}  # code -> (client_id, admin_id, issued)
        self.tokens: dict[str, str] = {}  # access token -> admin id (Intercom tokens do not expire)
        self.contacts: dict[str, dict] = {}
        self.conversations: dict[str, Conversation] = {}
        self.faults: list[Fault] = []
        self.token_requests: list[dict] = []
        self._ids = itertools.count(1001)

    def next_id(self) -> str:
        return str(next(self._ids))

    def issue_token(self, admin_id: str) -> str:
        token = "dG9rOi" + secrets.token_urlsafe(30)
        self.tokens[token] = admin_id
        return token

    @staticmethod
    def now() -> int:
        return int(time.time())


def emulator_state() -> EmulatorState:
    return current_app.extensions[EXTENSION_KEY]

"""A loopback Help Scout: OAuth (authorize page, token endpoint) and the Mailbox API v2 subset we use.

One server plays both hosts: `secure.helpscout.net` (the authorize page) and `api.helpscout.net`
(token endpoint and API), so an installation's `api_base` is simply this emulator's URL.
"""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode, urljoin

import requests
from flask import Flask

from backend.integrations.gateways.sandbox_server import RunningServer, serve_in_thread

from ..signature import SIGNATURE_PARAM, php_json_encode, sign
from .api_routes import inject_fault, register_api_routes
from .oauth_routes import AUTHORIZE_PATH, register_oauth_routes
from .state import (
    ACCESS_TTL_SECONDS, EXTENSION_KEY, Conversation, EmulatorState, Fault, HelpScoutUser, OAuthApp,
)

__all__ = ["HelpScoutEmulator", "HelpScoutUser", "signed_app_query"]


def create_emulator_app(state: EmulatorState) -> Flask:
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state
    app.before_request(inject_fault)
    register_oauth_routes(app)
    register_api_routes(app)
    return app


def signed_app_query(secret_key: str, context: list[tuple[str, str]]) -> str:
    """The query Help Scout appends to an iframe app's callback URL: context, then the signature."""
    signature = sign(secret_key, php_json_encode(context))
    return urlencode([*context, (SIGNATURE_PARAM, signature)])


class HelpScoutEmulator:
    """State + WSGI app + controls. Start it, seed users and conversations, point ChargeDesk at it."""

    def __init__(self) -> None:
        self.state = EmulatorState()
        self.app = create_emulator_app(self.state)
        self._server: RunningServer | None = None

    def start(self) -> str:
        if self._server is None:
            self._server = serve_in_thread(self.app)
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "HelpScoutEmulator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Help Scout emulator is not started")
        return self._server.url

    # --- seeding ----------------------------------------------------------------------------
    def register_app(self, client_id: str, client_secret: str, *, redirect_uri: str,
                     access_ttl: int = ACCESS_TTL_SECONDS) -> None:
        with self.state.lock:
            self.state.apps[client_id] = OAuthApp(client_id, client_secret, redirect_uri, access_ttl)

    def add_user(self, *, email: str, first_name: str, last_name: str = "", role: str = "user",
                 company_id: int = 1, user_id: int | None = None) -> HelpScoutUser:
        if role not in ("owner", "admin", "user"):
            raise ValueError(f"unknown Help Scout role {role!r}")
        with self.state.lock:
            user = HelpScoutUser(id=user_id or self.state.next_user_id(), company_id=company_id, email=email,
                                 first_name=first_name, last_name=last_name, role=role, created_at=self.state.now())
            self.state.users[user.id] = user
            return user

    def add_conversation(self, *, subject: str = "Billing question", customer_email: str | None = None,
                         mailbox_id: int = 1, company_id: int = 1, conversation_id: int | None = None) -> int:
        with self.state.lock:
            conv = Conversation(id=conversation_id or self.state.next_conversation_id(), number=0,
                                company_id=company_id, mailbox_id=mailbox_id, subject=subject,
                                customer_email=customer_email, created_at=self.state.now())
            conv.number = conv.id % 100000
            self.state.conversations[conv.id] = conv
            return conv.id

    def issue_tokens(self, *, user_id: int, client_id: str) -> dict:
        """Skip the authorize page: the token response Help Scout would give this user."""
        with self.state.lock:
            app = self.state.apps[client_id]
            pair = self.state.issue_tokens(app, user_id)
            return {"token_type": "bearer", "access_token": pair.access_token,
                    "refresh_token": pair.refresh_token, "expires_in": app.access_ttl}

    # --- controls ---------------------------------------------------------------------------
    def revoke(self, user_id: int) -> int:
        with self.state.lock:
            return self.state.revoke_user(user_id)

    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str = "") -> None:
        with self.state.lock:
            self.state.faults.append(Fault(count, status, path_prefix))

    def advance_clock(self, seconds: float) -> None:
        with self.state.lock:
            self.state.clock_offset += seconds

    def approve(self, authorize_url: str, *, user_id: int, allow: bool = True) -> str:
        """Play the browser on the authorize page; returns the redirect (callback) URL."""
        page = requests.get(authorize_url, allow_redirects=False, timeout=10)
        if page.status_code != 200:
            return page.headers.get("Location") or page.text
        fields = dict(re.findall(r'<input type=hidden name="([^"]+)" value="([^"]*)">', page.text))
        fields = {k: unescape(v) for k, v in fields.items()}
        fields.update(user_id=str(user_id), decision="allow" if allow else "deny")
        answer = requests.post(urljoin(authorize_url, AUTHORIZE_PATH), data=fields, allow_redirects=False,
                               timeout=10)
        return answer.headers.get("Location") or answer.text

    # --- inspection -------------------------------------------------------------------------
    def threads(self, conversation_id: int) -> list[dict]:
        with self.state.lock:
            conv = self.state.conversations.get(int(conversation_id))
            return [dict(t) for t in conv.threads] if conv else []

    def notes(self, conversation_id: int) -> list[dict]:
        return [t for t in self.threads(conversation_id) if t["type"] == "note"]

    def conversations(self) -> list[dict]:
        with self.state.lock:
            return [{"id": c.id, "subject": c.subject, "customer_email": c.customer_email,
                     "mailbox_id": c.mailbox_id, "threads": [dict(t) for t in c.threads]}
                    for c in self.state.conversations.values()]

    @property
    def request_log(self) -> list[tuple[str, str]]:
        with self.state.lock:
            return list(self.state.request_log)

    @property
    def token_requests(self) -> list[dict]:
        with self.state.lock:
            return [dict(r) for r in self.state.token_requests]

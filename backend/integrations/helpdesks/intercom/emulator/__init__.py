"""A loopback Intercom: OAuth (consent page, token endpoint) and the REST API subset ChargeDesk uses.

One server plays app.intercom.com (consent) and api.intercom.io (token, API), so an installation's
`api_base` is simply this emulator's URL.
"""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import requests
from flask import Flask

from backend.integrations.gateways.sandbox_server import RunningServer, serve_in_thread

from .routes import register_routes
from .state import EXTENSION_KEY, Admin, Conversation, EmulatorState, Fault, OAuthApp

__all__ = ["IntercomEmulator"]


class IntercomEmulator:
    """State + WSGI app + controls. Start it, seed teammates and conversations, point ChargeDesk at it."""

    def __init__(self) -> None:
        self.state = EmulatorState()
        self.app = Flask(__name__)
        self.app.extensions[EXTENSION_KEY] = self.state
        register_routes(self.app)
        self._server: RunningServer | None = None

    def start(self) -> str:
        if self._server is None:
            self._server = serve_in_thread(self.app)
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        with self.state.lock:
            self.state.reset()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Intercom emulator is not started")
        return self._server.url

    # --- seeding ----------------------------------------------------------------------------
    def register_app(self, client_id: str, client_secret: str, *, redirect_uri: str) -> None:
        with self.state.lock:
            self.state.apps[client_id] = OAuthApp(client_id, client_secret, redirect_uri)

    def add_admin(self, *, email: str, name: str, workspace_id: str = "ws-acme") -> str:
        with self.state.lock:
            admin = Admin(id=self.state.next_id(), email=email, name=name, workspace_id=workspace_id)
            self.state.admins[admin.id] = admin
            return admin.id

    def add_conversation(self, *, body: str = "Billing question") -> str:
        with self.state.lock:
            conv = Conversation(id=self.state.next_id(), contact_id=None, title=None, body=body,
                                created_at=self.state.now())
            self.state.conversations[conv.id] = conv
            return conv.id

    def issue_token(self, *, admin_id: str) -> str:
        """Skip the consent page: the access token Intercom would give after this teammate's consent."""
        with self.state.lock:
            return self.state.issue_token(admin_id)

    # --- controls ---------------------------------------------------------------------------
    def revoke(self, admin_id: str) -> None:
        with self.state.lock:
            for token, owner in list(self.state.tokens.items()):
                if owner == admin_id:
                    del self.state.tokens[token]

    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str = "") -> None:
        with self.state.lock:
            self.state.faults.append(Fault(count, status, path_prefix))

    def approve(self, authorize_url: str, *, admin_id: str, allow: bool = True) -> str:
        """Play the browser on the consent page; returns the redirect (callback) URL."""
        page = requests.get(authorize_url, allow_redirects=False, timeout=10)
        if page.status_code != 200:
            return page.headers.get("Location") or page.text
        fields = {k: unescape(v) for k, v in re.findall(r'<input type=hidden name="([^"]+)" value="([^"]*)">',
                                                        page.text)}
        fields.update(admin_id=admin_id, decision="allow" if allow else "deny")
        answer = requests.post(urljoin(authorize_url, "/oauth"), data=fields, allow_redirects=False, timeout=10)
        return answer.headers.get("Location") or answer.text

    # --- inspection -------------------------------------------------------------------------
    def notes(self, conversation_id: str) -> list[dict]:
        with self.state.lock:
            conv = self.state.conversations.get(str(conversation_id))
            return [dict(p) for p in conv.parts if p["part_type"] == "note"] if conv else []

    def conversation(self, conversation_id: str) -> dict | None:
        with self.state.lock:
            conv = self.state.conversations.get(str(conversation_id))
            if conv is None:
                return None
            contact = self.state.contacts.get(conv.contact_id or "") or {}
            return {"id": conv.id, "title": conv.title, "body": conv.body, "contact_email": contact.get("email"),
                    "parts": [dict(p) for p in conv.parts]}

    @property
    def token_requests(self) -> list[dict]:
        with self.state.lock:
            return [dict(r) for r in self.state.token_requests]

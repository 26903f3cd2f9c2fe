"""A loopback Zendesk: OAuth, users, tickets and signed-URL JWTs, for tests and the demo.

Each subdomain lives under a path prefix: the base URL of "acme" is `{url}/acme`, so the app's
`CHARGEDESK_ZENDESK_BASE_URL` template is `{url}/{subdomain}` (see `base_url_template`).
"""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import requests
from flask import Flask

from backend.integrations.gateways.sandbox_server import RunningServer, serve_in_thread

from .api_routes import inject_fault, register_api_routes
from .oauth_routes import register_oauth_routes, s256
from .signing import new_key_pair, sign_claims, signed_url_claims
from .state import EXTENSION_KEY, AppInstallation, EmulatorState, Fault, OAuthClient, Ticket, ZendeskUser

__all__ = ["ZendeskEmulator", "s256"]


def create_emulator_app(state: EmulatorState) -> Flask:
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = state
    app.before_request(inject_fault)
    register_oauth_routes(app)
    register_api_routes(app)
    return app


class ZendeskEmulator:
    """State + WSGI app + controls. Start it, seed users and tickets, point ChargeDesk at it."""

    def __init__(self) -> None:
        self.state = EmulatorState()
        self.app = create_emulator_app(self.state)
        self._server: RunningServer | None = None

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> str:
        if self._server is None:
            self._server = serve_in_thread(self.app)
        return self._server.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "ZendeskEmulator":
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
            raise RuntimeError("the Zendesk emulator is not started")
        return self._server.url

    @property
    def base_url_template(self) -> str:
        """Value for CHARGEDESK_ZENDESK_BASE_URL."""
        return self.url + "/{subdomain}"

    def base_url(self, subdomain: str) -> str:
        """What `https://{subdomain}.zendesk.com` is on this emulator (an installation's api_base)."""
        return f"{self.url}/{subdomain}"

    # --- seeding ----------------------------------------------------------------------------
    def register_client(self, client_id: str, client_secret: str, *, redirect_uris: tuple[str, ...] = (),
                        access_ttl: int = 7200, refresh_ttl: int = 30 * 24 * 3600) -> None:
        """A (global) OAuth client; `access_ttl` is Zendesk's expires_in (300 ... 172800 s)."""
        with self.state.lock:
            self.state.clients[client_id] = OAuthClient(client_id, client_secret, tuple(redirect_uris),
                                                        access_ttl, refresh_ttl)

    def add_user(self, subdomain: str, *, email: str, name: str, role: str = "agent",
                 user_id: int | None = None) -> ZendeskUser:
        if role not in ("admin", "agent", "end-user"):
            raise ValueError(f"unknown Zendesk role {role!r}")
        with self.state.lock:
            user = ZendeskUser(id=user_id or self.state.next_id(), subdomain=subdomain, email=email,
                               name=name, role=role, created_at=self.state.now())
            self.state.users[(subdomain, user.id)] = user
            return user

    def add_ticket(self, subdomain: str, *, subject: str = "Billing question",
                   requester_id: int | None = None, ticket_id: int | None = None) -> int:
        with self.state.lock:
            ticket = Ticket(id=ticket_id or self.state.next_ticket_id(), subdomain=subdomain,
                            subject=subject, requester_id=requester_id, created_at=self.state.now())
            self.state.tickets[(subdomain, ticket.id)] = ticket
            return ticket.id

    def app_key_pair(self, app_id: str) -> tuple[str, str]:
        """(private PEM, public PEM) Zendesk signs this app's URLs with (made on first use)."""
        with self.state.lock:
            if app_id not in self.state.app_keys:
                self.state.app_keys[app_id] = new_key_pair()
            return self.state.app_keys[app_id]

    def install_app(self, subdomain: str, *, app_id: str, app_installation_id: str) -> None:
        """Install the app `app_id` in the subdomain's account under `app_installation_id`
        (what an admin does in Zendesk; the API then names the app of the installation)."""
        self.app_key_pair(app_id)
        with self.state.lock:
            self.state.app_installations[(subdomain, int(app_installation_id))] = AppInstallation(
                id=int(app_installation_id), subdomain=subdomain, app_id=int(app_id), created_at=self.state.now())

    def signed_url_token(self, subdomain: str, *, app_id: str, app_installation_id: str,
                         user_id: int | str, location: str = "ticket_sidebar", lifetime: int = 300) -> str:
        """The JWT Zendesk would POST as form field `token` when an agent opens the app."""
        claims = signed_url_claims(subdomain=subdomain, app_installation_id=app_installation_id,
                                   user_id=user_id, location=location, lifetime=lifetime,
                                   now=self.state.now())
        return sign_claims(claims, self.app_key_pair(app_id)[0])

    def issue_tokens(self, subdomain: str, *, user_id: int, client_id: str, scope: str = "read write") -> dict:
        """Skip the consent page: the token response Zendesk would give this user (seeding)."""
        with self.state.lock:
            client = self.state.clients[client_id]
            pair = self.state.issue_tokens(subdomain=subdomain, client=client, user_id=user_id, scope=scope)
            return {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                    "token_type": "bearer", "scope": scope, "expires_in": client.access_ttl,
                    "refresh_token_expires_in": client.refresh_ttl}

    # --- controls ---------------------------------------------------------------------------
    def revoke(self, subdomain: str, user_id: int | None = None) -> int:
        """Revoke every access and refresh token of the subdomain (as an admin would in Zendesk)."""
        with self.state.lock:
            return self.state.revoke(subdomain, user_id)

    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str = "") -> None:
        """The next `count` requests whose path starts with `path_prefix` answer `status`."""
        with self.state.lock:
            self.state.faults.append(Fault(count, status, path_prefix))

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (codes and tokens expire)."""
        with self.state.lock:
            self.state.clock_offset += seconds

    def approve(self, authorize_url: str, *, user_id: int, allow: bool = True) -> str:
        """Play the browser on the consent page; returns the redirect (callback) URL."""
        page = requests.get(authorize_url, allow_redirects=False, timeout=10)
        if page.status_code != 200:
            return page.headers.get("Location") or page.text
        fields = _hidden_fields(page.text)
        fields.update(user_id=str(user_id), decision="allow" if allow else "deny")
        action = urljoin(authorize_url, _form_action(page.text))
        answer = requests.post(action, data=fields, allow_redirects=False, timeout=10)
        return answer.headers.get("Location") or answer.text

    # --- inspection -------------------------------------------------------------------------
    def comments(self, subdomain: str, ticket_id: int) -> list[dict]:
        with self.state.lock:
            ticket = self.state.tickets.get((subdomain, int(ticket_id)))
            return [dict(c) for c in ticket.comments] if ticket else []

    @property
    def request_log(self) -> list[tuple[str, str]]:
        with self.state.lock:
            return list(self.state.request_log)

    @property
    def token_requests(self) -> list[dict]:
        with self.state.lock:
            return [dict(r) for r in self.state.token_requests]


def _hidden_fields(html: str) -> dict[str, str]:
    pattern = re.compile(r'<input type=hidden name="([^"]+)" value="([^"]*)">')
    return {name: unescape(value) for name, value in pattern.findall(html)}


def _form_action(html: str) -> str:
    match = re.search(r'<form method=post action="([^"]+)">', html)
    return match.group(1) if match else ""

"""Help Scout: the loopback HelpScoutEmulator; sidebar loads are the iframe app's GET with a signed query
(base64 HMAC-SHA1 over PHP's json_encode of the context) and `app=<installation>` as our own parameter."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session

from backend.integrations.helpdesks.helpscout.emulator import HelpScoutEmulator, signed_app_query
from backend.integrations.helpdesks.helpscout.seeding import install_for_account
from backend.integrations.helpdesks.host import SidebarLoad
from backend.models import Account, HelpdeskInstallation

from .base import HostHarness

CLIENT_ID, CLIENT_SECRET = "hs-chargedesk-contract", "helpscout-contract-secret"
SECRET_KEY = "contract-app-secret-key"
MARKER = re.compile(r"\n\n\[ChargeDesk ref [0-9a-f]{16}\]$")  # our idempotency marker on every note


class HelpScoutHarness(HostHarness):
    kind = "helpscout"

    def start(self) -> None:
        self.emulator = HelpScoutEmulator()
        self.emulator.start()

    def stop(self) -> None:
        self.emulator.stop()

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://testserver/admin/oauth/helpscout/callback")

    def configure_app(self, extra: dict, monkeypatch) -> None:
        monkeypatch.setitem(extra, "HELPSCOUT_CLIENT_ID", CLIENT_ID)
        monkeypatch.setitem(extra, "HELPSCOUT_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setitem(extra, "HELPSCOUT_BASE_URL", self.emulator.url)

    # --- arranging ------------------------------------------------------------------------------
    def install(self, session: Session, account: Account) -> HelpdeskInstallation:
        owner = self.emulator.add_user(email="owner@contract.test", first_name="Olga", last_name="Owner", role="owner")
        return install_for_account(session, account, self.emulator, secret_key=SECRET_KEY, client_id=CLIENT_ID,
                                   admin_helpscout_id=owner.id, external_id="hs-contract", settings={"mailbox_id": 3})

    def install_options(self) -> dict[str, str]:
        return {"secret_key": "by-hand-secret", "api_base": self.emulator.url}

    def add_agent(self, *, email: str, name: str, admin: bool = False) -> str:
        first, _, last = name.partition(" ")
        user = self.emulator.add_user(email=email, first_name=first, last_name=last, role="admin" if admin else "user")
        return str(user.id)

    def add_ticket(self) -> str:
        return str(self.emulator.add_conversation(subject="Contract conversation", customer_email="ada@example.com"))

    def signed_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        return _get(installation.external_id, signed_app_query(SECRET_KEY, _context(agent_id)))

    def tampered_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        query = signed_app_query(SECRET_KEY, _context(agent_id))
        return _get(installation.external_id, query.replace(f"user-id={agent_id}", f"user-id={int(agent_id) + 1}"))

    def foreign_load(self, *, agent_id: str) -> SidebarLoad:
        return _get("hs-contract", signed_app_query("a-secret-we-never-stored", _context(agent_id)))

    def approve(self, authorize_url: str, *, agent_id: str) -> str:
        return self.emulator.approve(authorize_url, user_id=int(agent_id))

    # --- inspecting -----------------------------------------------------------------------------
    def private_notes(self, ticket_id: str) -> list[str]:
        notes = [t["body"] for t in self.emulator.notes(int(ticket_id))]
        assert all(MARKER.search(body) for body in notes), "every note carries its idempotency marker"
        return [MARKER.sub("", body) for body in notes]

    def created_ticket(self, ticket_id: str) -> dict:
        conversation = next(c for c in self.emulator.conversations() if c["id"] == int(ticket_id))
        return {"requester_email": conversation["customer_email"], "subject": conversation["subject"],
                "public_bodies": [t["body"] for t in conversation["threads"] if t["type"] == "customer"],
                "private_notes": [t["body"] for t in conversation["threads"] if t["type"] == "note"]}


def _context(agent_id: str) -> list[tuple[str, str]]:
    return [("conversation-id", "321"), ("mailbox-id", "3"), ("user-id", str(agent_id))]


def _get(app_id: str, query: str) -> SidebarLoad:
    return SidebarLoad(method="GET", args=dict([("app", app_id), *parse_qsl(query)]), form={}, headers={}, body=b"")

"""Zendesk: the loopback ZendeskEmulator; sidebar loads are RS256 JWTs POSTed as form field `token`."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from backend.integrations.helpdesks.host import SidebarLoad
from backend.integrations.helpdesks.zendesk.emulator import ZendeskEmulator
from backend.integrations.helpdesks.zendesk.emulator.seeding import install_for_account
from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair, sign_claims, signed_url_claims
from backend.models import Account, HelpdeskInstallation

from .base import HostHarness

MARKER = re.compile(r"\n\n\[ChargeDesk ref [0-9a-f]{16}\]$")  # the idempotency marker of a keyed note

CLIENT_ID, CLIENT_SECRET = "zdg-chargedesk-contract", "zendesk-contract-secret"
SUBDOMAIN, APP_ID, APP_INSTALLATION_ID = "contract", "701", "7001"


class ZendeskHarness(HostHarness):
    kind = "zendesk"

    def start(self) -> None:
        self.emulator = ZendeskEmulator()
        self.emulator.start()

    def stop(self) -> None:
        self.emulator.stop()

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.register_client(CLIENT_ID, CLIENT_SECRET)

    def configure_app(self, extra: dict, monkeypatch) -> None:
        monkeypatch.setitem(extra, "ZENDESK_BASE_URL", self.emulator.base_url_template)
        monkeypatch.setitem(extra, "ZENDESK_CLIENT_ID", CLIENT_ID)
        monkeypatch.setitem(extra, "ZENDESK_CLIENT_SECRET", CLIENT_SECRET)

    # --- arranging ------------------------------------------------------------------------------
    def install(self, session: Session, account: Account) -> HelpdeskInstallation:
        return install_for_account(session, account, self.emulator, client_id=CLIENT_ID, subdomain=SUBDOMAIN,
                                   app_id=APP_ID, app_installation_id=APP_INSTALLATION_ID).installation

    def install_options(self) -> dict[str, str]:
        return {"subdomain": "contract-by-hand", "app_installation_id": "7002", "public_key_file": new_key_pair()[1]}

    def add_agent(self, *, email: str, name: str, admin: bool = False) -> str:
        user = self.emulator.add_user(SUBDOMAIN, email=email, name=name, role="admin" if admin else "agent")
        return str(user.id)

    def add_ticket(self) -> str:
        return str(self.emulator.add_ticket(SUBDOMAIN, subject="Contract ticket"))

    def signed_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        token = self.emulator.signed_url_token(SUBDOMAIN, app_id=APP_ID, app_installation_id=APP_INSTALLATION_ID,
                                               user_id=agent_id)
        return _post(token)

    def tampered_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        token = self.emulator.signed_url_token(SUBDOMAIN, app_id=APP_ID, app_installation_id=APP_INSTALLATION_ID,
                                               user_id=agent_id)
        header, payload, signature = token.split(".")
        other = self.emulator.signed_url_token(SUBDOMAIN, app_id=APP_ID, app_installation_id=APP_INSTALLATION_ID,
                                               user_id=str(int(agent_id) + 1))
        return _post(".".join([header, other.split(".")[1], signature]))  # another agent, the first signature

    def foreign_load(self, *, agent_id: str) -> SidebarLoad:
        claims = signed_url_claims(subdomain=SUBDOMAIN, app_installation_id=APP_INSTALLATION_ID, user_id=agent_id)
        return _post(sign_claims(claims, new_key_pair()[0]))

    def approve(self, authorize_url: str, *, agent_id: str) -> str:
        return self.emulator.approve(authorize_url, user_id=int(agent_id))

    # --- inspecting -----------------------------------------------------------------------------
    def private_notes(self, ticket_id: str) -> list[str]:
        return [MARKER.sub("", c["body"]) for c in self.emulator.comments(SUBDOMAIN, int(ticket_id)) if not c["public"]]

    def created_ticket(self, ticket_id: str) -> dict:
        with self.emulator.state.lock:
            ticket = self.emulator.state.tickets[(SUBDOMAIN, int(ticket_id))]
            requester = self.emulator.state.users.get((SUBDOMAIN, ticket.requester_id))
            comments = [dict(c) for c in ticket.comments]
        return {"requester_email": requester.email if requester else None, "subject": ticket.subject,
                "public_bodies": [c["body"] for c in comments if c["public"]],
                "private_notes": [c["body"] for c in comments if not c["public"]]}


def _post(token: str) -> SidebarLoad:
    return SidebarLoad(method="POST", args={}, form={"token": token}, headers={}, body=b"")

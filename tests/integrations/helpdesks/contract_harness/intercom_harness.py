"""Intercom: the loopback IntercomEmulator; a sidebar load is a Canvas Kit Initialize POST signed with
X-Body-Signature (hex HMAC-SHA256 of the raw body with the app's client secret); the workspace id in
the body names the installation.

Intercom access tokens do not expire and there is no refresh grant, so `approve` skips the shared
OAuth round trip test (whose last step is a refresh) with that reason; the same round trip without
the refresh is tests/integrations/helpdesks/intercom/test_oauth.py.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest
from sqlalchemy.orm import Session

from backend.integrations.helpdesks.intercom.emulator import IntercomEmulator
from backend.integrations.helpdesks.intercom.seeding import install_for_account
from backend.integrations.helpdesks.host import SidebarLoad
from backend.models import Account, HelpdeskInstallation

from .base import HostHarness

CLIENT_ID, CLIENT_SECRET = "ic-chargedesk-contract", "intercom-contract-secret"
WORKSPACE = "ws-contract"
MARKER = re.compile(r"<p>\[ChargeDesk ref [0-9a-f]{16}\]</p>$")


class IntercomHarness(HostHarness):
    kind = "intercom"

    def start(self) -> None:
        self.emulator = IntercomEmulator()
        self.emulator.start()

    def stop(self) -> None:
        self.emulator.stop()

    def reset(self) -> None:
        self.emulator.reset()
        self.emulator.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://testserver/admin/oauth/intercom/callback")

    def configure_app(self, extra: dict, monkeypatch) -> None:
        monkeypatch.setitem(extra, "INTERCOM_CLIENT_ID", CLIENT_ID)
        monkeypatch.setitem(extra, "INTERCOM_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setitem(extra, "INTERCOM_BASE_URL", self.emulator.url)

    # --- arranging ------------------------------------------------------------------------------
    def install(self, session: Session, account: Account) -> HelpdeskInstallation:
        owner = self.emulator.add_admin(email="owner@contract.test", name="Olga Owner", workspace_id=WORKSPACE)
        return install_for_account(session, account, self.emulator, client_secret=CLIENT_SECRET,
                                   workspace_id=WORKSPACE, admin_intercom_id=owner)

    def install_options(self) -> dict[str, str]:
        return {"workspace_id": "ws-by-hand", "client_secret": "by-hand-client-secret", "api_base": self.emulator.url}

    def add_agent(self, *, email: str, name: str, admin: bool = False) -> str:
        return self.emulator.add_admin(email=email, name=name, workspace_id=WORKSPACE)

    def add_ticket(self) -> str:
        return self.emulator.add_conversation(body="Contract conversation")

    def signed_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        body = _body(installation.external_id, agent_id)
        return _post(body, _sign(CLIENT_SECRET, body))

    def tampered_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        body = _body(installation.external_id, agent_id)
        signature = _sign(CLIENT_SECRET, body)
        return _post(body.replace(f'"id": "{agent_id}"'.encode(), f'"id": "{int(agent_id) + 1}"'.encode()), signature)

    def foreign_load(self, *, agent_id: str) -> SidebarLoad:
        body = _body(WORKSPACE, agent_id)
        return _post(body, _sign("a-secret-we-never-stored", body))

    def approve(self, authorize_url: str, *, agent_id: str) -> str:
        pytest.skip("Intercom access tokens do not expire and have no refresh grant; the OAuth round trip "
                    "without refresh is tests/integrations/helpdesks/intercom/test_oauth.py")

    # --- inspecting -----------------------------------------------------------------------------
    def private_notes(self, ticket_id: str) -> list[str]:
        notes = [p["body"] for p in self.emulator.notes(ticket_id)]
        assert all(MARKER.search(body) for body in notes), "every note carries its idempotency marker"
        return [_plain(MARKER.sub("", body)) for body in notes]

    def created_ticket(self, ticket_id: str) -> dict:
        conversation = self.emulator.conversation(ticket_id)
        return {"requester_email": conversation["contact_email"], "subject": conversation["title"],
                "public_bodies": [conversation["body"]],
                "private_notes": [_plain(MARKER.sub("", p["body"])) for p in conversation["parts"]
                                  if p["part_type"] == "note"]}


def _plain(html_body: str) -> str:
    """Our note HTML (one <p> per line, escaped) back to the text we posted."""
    from html import unescape

    return "\n".join(unescape(p) for p in re.findall(r"<p>(.*?)</p>", html_body))


def _body(workspace: str, agent_id: str) -> bytes:
    return json.dumps({"workspace_id": workspace, "workspace_region": "us",
                       "admin": {"type": "admin", "id": agent_id}, "context": {"conversation_id": "321"},
                       "conversation": {"type": "conversation", "id": "321"},
                       "contact": {"type": "contact", "email": "ada@example.com"}}, indent=1).encode()


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(body: bytes, signature: str) -> SidebarLoad:
    return SidebarLoad(method="POST", args={}, form={}, headers={"Content-Type": "application/json",
                                                                 "X-Body-Signature": signature}, body=body)

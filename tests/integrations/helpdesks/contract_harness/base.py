"""What the host contract suite needs from each helpdesk: a running emulator and ways to arrange
and inspect state in it, plus the vendor's way of signing a sidebar load.

A harness arranges users and tickets *in the emulator* (through its own controls, never through
the host under test) and reads them back there, so "a note was posted" means the emulator holds
it. Everything that differs between vendors lives in the harness subclasses, not in the tests.
"""
from __future__ import annotations

import itertools
from typing import ClassVar

from sqlalchemy.orm import Session

from backend.integrations.helpdesks.host import SidebarLoad
from backend.models import Account, HelpdeskInstallation


class HostHarness:
    """One helpdesk's emulator plus the arrange/inspect vocabulary of the host contract suite."""

    kind: ClassVar[str]

    def __init__(self) -> None:
        self._serial = itertools.count(1)

    def unique(self, stem: str) -> str:
        return f"{stem}{next(self._serial)}"

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Empty the emulator between tests."""
        raise NotImplementedError

    def configure_app(self, extra: dict, monkeypatch) -> None:
        """Point the app's OAuth client settings (SETTINGS.extra) at the emulator, with monkeypatch."""
        raise NotImplementedError

    # --- arranging ------------------------------------------------------------------------------
    def install(self, session: Session, account: Account) -> HelpdeskInstallation:
        """An installation of `account` with live OAuth tokens and a signing secret, API base = emulator."""
        raise NotImplementedError

    def install_options(self) -> dict[str, str]:
        """Valid `chargedesk helpdesk add` option values (file options as their text)."""
        raise NotImplementedError

    def add_agent(self, *, email: str, name: str, admin: bool = False) -> str:
        """A staff user in the emulator's account; returns their external id."""
        raise NotImplementedError

    def add_ticket(self) -> str:
        """A ticket / conversation in the emulator; returns its id."""
        raise NotImplementedError

    def signed_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        """The sidebar load the helpdesk makes when this agent opens the app, signed its way."""
        raise NotImplementedError

    def tampered_load(self, installation: HelpdeskInstallation, *, agent_id: str) -> SidebarLoad:
        """The same load with a signed value changed after signing (another agent id)."""
        raise NotImplementedError

    def foreign_load(self, *, agent_id: str) -> SidebarLoad:
        """A load signed with a key or secret no installation of ours has."""
        raise NotImplementedError

    def approve(self, authorize_url: str, *, agent_id: str) -> str:
        """Play the browser on the emulator's consent page as this agent; returns the callback URL."""
        raise NotImplementedError

    # --- inspecting the emulator ----------------------------------------------------------------
    def private_notes(self, ticket_id: str) -> list[str]:
        """Bodies of the ticket's private notes, oldest first."""
        raise NotImplementedError

    def created_ticket(self, ticket_id: str) -> dict:
        """{"requester_email", "subject", "public_bodies", "private_notes"} of a ticket we created."""
        raise NotImplementedError

"""The demo's helpdesk: a Zendesk emulator on loopback, an installation of our app in it, and
preview tickets, so a newcomer can click the real sidebar and see the private notes it posts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask

from backend.db import transaction
from backend.models import Account, HelpdeskInstallation

from .emulator import ZendeskEmulator
from .oauth import credentials_from_token

DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "zdg-chargedesk-demo", "demo-client-secret"


@dataclass
class DemoHelpdesk:
    preview_path: str
    stop: Callable[[], None]


def start_demo_zendesk(app: Flask, account: Account) -> DemoHelpdesk:
    from sidebar_apps.zendesk.demo_host import seed_zendesk_demo

    emulator = ZendeskEmulator()
    emulator.start()
    emulator.register_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, access_ttl=172800)
    settings = app.config["SETTINGS"]
    settings.extra.setdefault("ZENDESK_CLIENT_ID", DEMO_CLIENT_ID)
    settings.extra.setdefault("ZENDESK_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    subdomain = account.slug
    with transaction() as s:
        info = seed_zendesk_demo(s, account, subdomain=subdomain, api_base=emulator.base_url(subdomain))
        for agent in info["agents"]:
            emulator.add_user(subdomain, email=agent["email"], name=agent["name"],
                              role=agent["zendesk_role"], user_id=agent["id"])
        for ticket in info["tickets"]:
            emulator.add_ticket(subdomain, subject=ticket["subject"], ticket_id=ticket["id"])
        admin = next(a for a in info["agents"] if a["zendesk_role"] == "admin")
        token = emulator.issue_tokens(subdomain, user_id=admin["id"], client_id=DEMO_CLIENT_ID)
        installation = s.get(HelpdeskInstallation, info["installation_id"])
        installation.credentials = credentials_from_token(token)
    return DemoHelpdesk(preview_path=info["preview_path"], stop=emulator.stop)

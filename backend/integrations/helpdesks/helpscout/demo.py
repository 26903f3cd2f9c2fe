"""What `chargedesk demo` seeds for Help Scout: the emulator on loopback, an installation of our app
(secret key + OAuth tokens), every demo user as a Help Scout user, and one conversation per demo
customer; the preview page (/demo/helpscout) shows the dynamic app's sidebar for them.

The iframe app needs Help Scout's own origin for the official SDK to talk, so the demo previews the
legacy dynamic app (same view model, signed action links, same action pipeline); the browser test
covers the iframe app under Help Scout's origin.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from sqlalchemy import select

from backend.db import transaction
from backend.demo_data import DEMO_CUSTOMERS
from backend.models import Account, User

from .emulator import HelpScoutEmulator
from .seeding import install_for_account

DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "hs-chargedesk-demo", "demo-helpscout-client-secret"
PREVIEW_PATH = "/demo/helpscout"


@dataclass
class DemoHelpScout:
    preview_path: str
    stop: Callable[[], None]
    emulator: HelpScoutEmulator


def start_demo_helpscout(app: Flask, account: Account) -> DemoHelpScout:
    emulator = HelpScoutEmulator()
    emulator.start()
    base_url = app.config["SETTINGS"].base_url.rstrip("/")
    emulator.register_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, redirect_uri=f"{base_url}/admin/oauth/helpscout/callback")
    settings = app.config["SETTINGS"]
    settings.extra.setdefault("HELPSCOUT_CLIENT_ID", DEMO_CLIENT_ID)
    settings.extra.setdefault("HELPSCOUT_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    settings.extra.setdefault("HELPSCOUT_BASE_URL", emulator.url)
    with transaction() as s:
        users = list(s.scalars(select(User).where(User.account_id == account.id, User.disabled_at.is_(None),
                                                  User.role != "viewer").order_by(User.id)))
        people = {u.id: emulator.add_user(email=u.email, first_name=(u.name or u.email).split(" ")[0],
                                          last_name=" ".join((u.name or "").split(" ")[1:]),
                                          role="owner" if u.role == "owner" else "admin" if u.role == "admin" else "user")
                  for u in users}
        owner = next(u for u in users if u.role == "owner")
        conversations = [{"id": emulator.add_conversation(subject=f"Billing question from {c.name}",
                                                          customer_email=c.email),
                          "email": c.email, "name": c.name} for c in DEMO_CUSTOMERS]
        installation = install_for_account(
            s, account, emulator, secret_key=secrets.token_urlsafe(24)[:32], client_id=DEMO_CLIENT_ID, admin=owner,
            admin_helpscout_id=people[owner.id].id, external_id=f"hs-{account.slug}-demo",
            settings={"mailbox_id": 1, "demo": {"conversations": conversations,
                                                "agents": [{"user_id": u.id, "helpscout_id": people[u.id].id,
                                                            "name": u.name or u.email} for u in users]}})
        for user in users:
            if user.id != owner.id:
                from backend.models import AgentIdentity

                s.add(AgentIdentity(account_id=account.id, user_id=user.id, installation_id=installation.id,
                                    external_user_id=str(people[user.id].id)))
    return DemoHelpScout(preview_path=PREVIEW_PATH, stop=emulator.stop, emulator=emulator)

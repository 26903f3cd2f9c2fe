"""What `chargedesk demo` seeds for Intercom: the emulator on loopback, an installation of our app
(client secret + a token of the owner's teammate), every demo user as a teammate, one conversation
per demo customer; the preview page (/demo/intercom) plays Intercom's inbox and renders our canvases."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable

from flask import Flask
from sqlalchemy import select

from backend.db import transaction
from backend.demo_data import DEMO_CUSTOMERS
from backend.models import Account, AgentIdentity, User

from .emulator import IntercomEmulator
from .seeding import install_for_account

DEMO_CLIENT_ID, DEMO_CLIENT_SECRET = "ic-chargedesk-demo", "demo-intercom-client-secret"
PREVIEW_PATH = "/demo/intercom"


@dataclass
class DemoIntercom:
    preview_path: str
    stop: Callable[[], None]
    emulator: IntercomEmulator


def start_demo_intercom(app: Flask, account: Account) -> DemoIntercom:
    emulator = IntercomEmulator()
    emulator.start()
    settings = app.config["SETTINGS"]
    workspace = f"ws-{account.slug}-demo"
    emulator.register_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                          redirect_uri=f"{settings.base_url.rstrip('/')}/admin/oauth/intercom/callback")
    settings.extra.setdefault("INTERCOM_CLIENT_ID", DEMO_CLIENT_ID)
    settings.extra.setdefault("INTERCOM_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    settings.extra.setdefault("INTERCOM_BASE_URL", emulator.url)
    with transaction() as s:
        users = list(s.scalars(select(User).where(User.account_id == account.id, User.disabled_at.is_(None),
                                                  User.role != "viewer").order_by(User.id)))
        people = {u.id: emulator.add_admin(email=u.email, name=u.name or u.email, workspace_id=workspace) for u in users}
        owner = next(u for u in users if u.role == "owner")
        conversations = [{"id": emulator.add_conversation(body=f"Billing question from {c.name}"), "email": c.email,
                          "name": c.name} for c in DEMO_CUSTOMERS]
        installation = install_for_account(
            s, account, emulator, client_secret=secrets.token_urlsafe(24), workspace_id=workspace, admin=owner,
            admin_intercom_id=people[owner.id],
            settings={"demo": {"conversations": conversations,
                               "agents": [{"user_id": u.id, "intercom_id": people[u.id], "name": u.name or u.email}
                                          for u in users]}})
        for user in users:
            if user.id != owner.id:
                s.add(AgentIdentity(account_id=account.id, user_id=user.id, installation_id=installation.id,
                                    external_user_id=people[user.id]))
    return DemoIntercom(preview_path=PREVIEW_PATH, stop=emulator.stop, emulator=emulator)

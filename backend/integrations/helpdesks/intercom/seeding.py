"""Connect an account to the Intercom emulator without the consent page (tests, demo, bench)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from .installations import KIND


def install_for_account(session: Session, account: Account, emulator, *, client_secret: str,
                        workspace_id: str = "ws-acme", admin: User | None = None,
                        admin_intercom_id: str | None = None, settings: dict | None = None) -> HelpdeskInstallation:
    """An installation with the app's client secret and, given `admin_intercom_id`, that teammate's
    emulator token; `admin` (ours) is linked to that teammate."""
    credentials: dict = {"client_secret": client_secret}
    if admin_intercom_id:
        credentials.update(access_token=emulator.issue_token(admin_id=admin_intercom_id), token_type="bearer",
                           admin_id=admin_intercom_id)
    installation = HelpdeskInstallation(account_id=account.id, kind=KIND, external_id=workspace_id,
                                        credentials=credentials, status="active",
                                        settings={"api_base": emulator.url, **(settings or {})})
    session.add(installation)
    session.flush()
    if admin is not None and admin_intercom_id:
        session.add(AgentIdentity(account_id=account.id, user_id=admin.id, installation_id=installation.id,
                                  external_user_id=str(admin_intercom_id)))
        session.flush()
    return installation

"""Connect an account to the Help Scout emulator without the authorize page (tests, demo, browser harness)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from .installations import KIND, expiry_of
from .oauth import credentials_from_token


def install_for_account(session: Session, account: Account, emulator, *, secret_key: str, client_id: str | None,
                        admin: User | None = None, admin_helpscout_id: int | None = None,
                        external_id: str = "hs-acme", settings: dict | None = None) -> HelpdeskInstallation:
    """A HelpdeskInstallation with the app's secret key and, given `client_id`, real emulator tokens of
    `admin_helpscout_id`; `admin` (ours) is linked to that Help Scout user."""
    credentials: dict = {"secret_key": secret_key}
    if client_id and admin_helpscout_id:
        credentials.update(credentials_from_token(emulator.issue_tokens(user_id=admin_helpscout_id,
                                                                         client_id=client_id)))
    installation = HelpdeskInstallation(account_id=account.id, kind=KIND, external_id=external_id,
                                        credentials=credentials, status="active",
                                        settings={"api_base": emulator.url, **(settings or {})})
    installation.token_expires_at = expiry_of(credentials)
    session.add(installation)
    session.flush()
    if admin is not None and admin_helpscout_id:
        session.add(AgentIdentity(account_id=account.id, user_id=admin.id, installation_id=installation.id,
                                  external_user_id=str(admin_helpscout_id)))
        session.flush()
    return installation

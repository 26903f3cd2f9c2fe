"""Connect an account to the emulator without the consent page (tests, demo, browser harness)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from ..installations import expiry_of
from ..oauth import credentials_from_token


@dataclass(frozen=True)
class EmulatedInstallation:
    installation: HelpdeskInstallation
    subdomain: str
    app_id: str
    app_installation_id: str
    admin_zendesk_id: int


def install_for_account(session: Session, account: Account, emulator, *, client_id: str,
                        subdomain: str = "acme", admin: User | None = None, app_id: str = "501",
                        app_installation_id: str = "1001") -> EmulatedInstallation:
    """A HelpdeskInstallation with real emulator tokens, the app's public key and installation id.

    The emulator must know `client_id` (register_client). When `admin` is given, it is linked to a
    new Zendesk admin user; sign sidebar loads with emulator.signed_url_token(subdomain, app_id=...,
    app_installation_id=..., user_id=...).
    """
    email = admin.email if admin else f"admin@{subdomain}.test"
    name = (admin.name if admin else None) or "Zendesk Admin"
    zendesk_admin = emulator.add_user(subdomain, email=email, name=name, role="admin")
    emulator.install_app(subdomain, app_id=app_id, app_installation_id=app_installation_id)
    token = emulator.issue_tokens(subdomain, user_id=zendesk_admin.id, client_id=client_id)
    installation = HelpdeskInstallation(
        account_id=account.id, kind="zendesk", external_id=subdomain,
        credentials=credentials_from_token(token), token_expires_at=None, status="active",
        settings={"api_base": emulator.base_url(subdomain), "app_installation_id": app_installation_id,
                  "public_key_pem": emulator.app_key_pair(app_id)[1]})
    installation.token_expires_at = expiry_of(installation.credentials)
    session.add(installation)
    session.flush()
    if admin is not None:
        session.add(AgentIdentity(account_id=account.id, user_id=admin.id, installation_id=installation.id,
                                  external_user_id=str(zendesk_admin.id)))
        session.flush()
    return EmulatedInstallation(installation, subdomain, app_id, app_installation_id, zendesk_admin.id)

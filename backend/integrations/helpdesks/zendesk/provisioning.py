"""Zendesk users -> ChargeDesk users: agents on first sidebar open, admins on OAuth sign-in.

A Zendesk user is linked by an AgentIdentity (installation, Zendesk user id). Unknown agents are
provisioned from Zendesk's own record: an existing user with that email is reused, otherwise a
user is created (Zendesk admins as "admin", everyone else as "agent").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts import add_user
from backend.emails import normalize_email
from backend.models import AgentIdentity, HelpdeskInstallation, User

from .audit_trail import record_event
from .client import ZendeskUser


class ProvisioningRefused(Exception):
    """This Zendesk user may not get in; `message` is shown to them, `status` is the HTTP code."""

    def __init__(self, message: str, *, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Source:
    """Where a provisioning happened, for the audit trail."""

    via: str  # sidebar | oauth
    ip: str | None = None


def identity_user(session: Session, installation: HelpdeskInstallation, external_user_id: str) -> User | None:
    """The user linked to this Zendesk user id in this installation, if any."""
    stmt = (select(User).join(AgentIdentity, AgentIdentity.user_id == User.id)
            .where(AgentIdentity.installation_id == installation.id,
                   AgentIdentity.external_user_id == str(external_user_id),
                   User.account_id == installation.account_id))
    return session.scalars(stmt).first()


def agent_for_sidebar(session: Session, installation: HelpdeskInstallation, external_user_id: str, *,
                      fetch_user: Callable[[str], ZendeskUser], source: Source) -> User:
    """The agent opening the sidebar, provisioned from Zendesk the first time."""
    user = identity_user(session, installation, external_user_id)
    if user is None:
        zendesk_user = fetch_user(external_user_id)
        if not zendesk_user.is_staff or not zendesk_user.active or zendesk_user.suspended:
            raise ProvisioningRefused("Only active Zendesk agents and admins can use ChargeDesk.")
        user = link_zendesk_user(session, installation, zendesk_user, source=source)
    return usable(user)


def usable(user: User) -> User:
    if user.disabled_at is not None:
        raise ProvisioningRefused("Your ChargeDesk user is disabled. Ask an account admin to enable it.")
    return user


def link_zendesk_user(session: Session, installation: HelpdeskInstallation, zendesk_user: ZendeskUser, *,
                      source: Source) -> User:
    """Reuse or create the user for this Zendesk user and link the identity (race-safe)."""
    for _attempt in range(2):
        try:
            with session.begin_nested():
                return _link(session, installation, zendesk_user, source)
        except IntegrityError:  # a concurrent first open linked it; read theirs
            user = identity_user(session, installation, str(zendesk_user.id))
            if user is not None:
                return user
    raise ProvisioningRefused("Could not link your Zendesk user; reload the ticket.", status=409)


def _link(session: Session, installation: HelpdeskInstallation, zendesk_user: ZendeskUser,
          source: Source) -> User:
    email = normalize_email(zendesk_user.email)
    if email is None:
        raise ProvisioningRefused("Your Zendesk user has no usable email address.")
    user = session.scalars(select(User).where(User.account_id == installation.account_id,
                                              User.email == email)).first()
    actor = {"kind": "helpdesk", "name": zendesk_user.name or email,
             "helpdesk": {"kind": "zendesk", "installation_id": installation.id,
                          "external_user_id": str(zendesk_user.id)}}
    created = user is None
    if created:
        user = add_user(session, _account_of(session, installation), email=email, name=zendesk_user.name,
                        role="admin" if zendesk_user.is_admin else "agent", actor=actor)
    session.add(AgentIdentity(account_id=installation.account_id, user_id=user.id,
                              installation_id=installation.id, external_user_id=str(zendesk_user.id)))
    session.flush()
    record_event(session, account_id=installation.account_id, event="agent_identity.linked",
                 actor={**actor, "user_id": user.id}, subject_type="user", subject_id=user.id,
                 details={"email": email, "role": user.role, "zendesk_role": zendesk_user.role,
                          "zendesk_user_id": str(zendesk_user.id), "user_created": created},
                 source={"via": source.via, "ip": source.ip})
    return user


def _account_of(session: Session, installation: HelpdeskInstallation):
    from backend.models import Account

    return session.get(Account, installation.account_id)

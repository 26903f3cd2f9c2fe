"""Helpdesk users -> ChargeDesk users, the same rule for every host.

An agent is linked by an AgentIdentity (installation, helpdesk user id). An agent we do not know
yet is looked up through the host's API when the installation has OAuth tokens: an existing user
with that email is reused, otherwise one is created (helpdesk admins as "admin", others as
"agent"). Without API access nothing is guessed: the agent stays unlinked, and sees the billing
summary read-only (a sidebar token without a user, backend.auth.sidebar_tokens) until an admin
links them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts import add_user
from backend.audit import append
from backend.emails import normalize_email
from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from . import helpdesk_host
from .host import HelpdeskHost, HostClaims, HostUser


class ProvisioningRefused(Exception):
    """This helpdesk user may not get in; `message` is shown to them, `status` is the HTTP code."""

    def __init__(self, message: str, *, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Source:
    """Where a provisioning happened, for the audit trail."""

    via: str  # sidebar | oauth | cli
    ip: str | None = None


def identity_user(session: Session, installation: HelpdeskInstallation, external_user_id: str) -> User | None:
    """The user linked to this helpdesk user id in this installation, if any."""
    stmt = (select(User).join(AgentIdentity, AgentIdentity.user_id == User.id)
            .where(AgentIdentity.installation_id == installation.id,
                   AgentIdentity.external_user_id == str(external_user_id),
                   User.account_id == installation.account_id))
    return session.scalars(stmt).first()


def agent_for_sidebar(session: Session, installation: HelpdeskInstallation, claims: HostClaims, *,
                      host: HelpdeskHost, source: Source) -> User | None:
    """The agent opening the sidebar (provisioned through the host's API the first time), or None
    when they are unknown and the installation has no API access (an admin must link them)."""
    user = identity_user(session, installation, claims.external_user_id)
    if user is None:
        if not host.has_api_access(installation):
            return None
        helpdesk_user = host.api_for(installation).find_user(claims.external_user_id)
        if not helpdesk_user.is_staff or not helpdesk_user.active:
            raise ProvisioningRefused(f"Only active {host.label} agents and admins can use ChargeDesk.")
        user = link_helpdesk_user(session, installation, helpdesk_user, source=source)
    return usable(user)


def usable(user: User) -> User:
    if user.disabled_at is not None:
        raise ProvisioningRefused("Your ChargeDesk user is disabled. Ask an account admin to enable it.")
    return user


def link_helpdesk_user(session: Session, installation: HelpdeskInstallation, helpdesk_user: HostUser, *,
                       source: Source) -> User:
    """Reuse or create the user for this helpdesk user and link the identity (race-safe)."""
    for _attempt in range(2):
        try:
            with session.begin_nested():
                return _link(session, installation, helpdesk_user, source)
        except IntegrityError:  # a concurrent first open linked it; read theirs
            user = identity_user(session, installation, helpdesk_user.external_id)
            if user is not None:
                return user
    raise ProvisioningRefused("Could not link your helpdesk user; reload the ticket.", status=409)


def _link(session: Session, installation: HelpdeskInstallation, helpdesk_user: HostUser, source: Source) -> User:
    kind = installation.kind
    email = normalize_email(helpdesk_user.email)
    if email is None:
        raise ProvisioningRefused(f"Your {helpdesk_host(kind).label} user has no usable email address.")
    user = session.scalars(select(User).where(User.account_id == installation.account_id,
                                              User.email == email)).first()
    actor = {"kind": "helpdesk", "name": helpdesk_user.name or email,
             "helpdesk": {"kind": kind, "installation_id": installation.id,
                          "external_user_id": helpdesk_user.external_id}}
    created = user is None
    if created:
        user = add_user(session, session.get(Account, installation.account_id), email=email,
                        name=helpdesk_user.name, role="admin" if helpdesk_user.is_admin else "agent", actor=actor)
    session.add(AgentIdentity(account_id=installation.account_id, user_id=user.id,
                              installation_id=installation.id, external_user_id=helpdesk_user.external_id))
    session.flush()
    append(session, account_id=installation.account_id, event="agent_identity.linked",
           actor={**actor, "user_id": user.id}, reason=None, subject_type="user", subject_id=str(user.id),
           details={"email": email, "role": user.role, f"{kind}_role": helpdesk_user.role,
                    f"{kind}_user_id": helpdesk_user.external_id, "user_created": created},
           source={"via": source.via, "ip": source.ip})
    return user

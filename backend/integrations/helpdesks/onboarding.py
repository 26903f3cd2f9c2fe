"""Admin sign-in through any helpdesk's OAuth: who signed in -> which account and user.

A helpdesk admin signing in for a helpdesk account we do not know yet creates a ChargeDesk account
(and becomes its owner); a known user (by identity, else by email) enters their account; a helpdesk
admin of a connected account is linked and their fresh grant replaces the stored one (which also
clears a reconnect request). Everything else is refused with a message for the person.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts import add_user, create_account, slugify
from backend.audit import append
from backend.emails import normalize_email
from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from .agents import ProvisioningRefused, Source, identity_user, link_helpdesk_user, usable
from .host import HelpdeskHost, HostUser


@dataclass(frozen=True)
class SignIn:
    account_id: int
    user_id: int
    created_account: bool


@dataclass(frozen=True)
class Grant:
    """What the OAuth callback learned: the helpdesk account, who consented, the tokens."""

    external_id: str  # "" when the host has one global authorize endpoint (no sign-in field)
    me: HostUser
    credentials: dict
    api_base: str | None  # stored on the installation when it is not the vendor's default


def sign_in(session: Session, *, host: HelpdeskHost, grant: Grant, source: Source) -> SignIn:
    """Resolve who signs in; creates what is missing, in the caller's transaction."""
    me = grant.me
    if not me.is_staff or not me.active:
        raise ProvisioningRefused(f"Only {host.label} agents and admins can sign in to ChargeDesk.")
    installation = _installation(session, host, grant)
    if installation is None:
        if not grant.external_id:
            raise ProvisioningRefused(f"Your {host.label} account is not connected to ChargeDesk yet. "
                                      f"Register it with `chargedesk helpdesk add {host.kind}`, then sign in again.")
        try:
            with session.begin_nested():
                return _create_account(session, host, grant, source)
        except IntegrityError:  # another admin of the same helpdesk account got there first
            installation = _installation(session, host, grant)
            if installation is None:
                raise ProvisioningRefused("Sign-in collided with another one; try again.", status=409) from None
    return _enter_account(session, host, installation, grant, source)


def find_installation(session: Session, kind: str, external_id: str) -> HelpdeskInstallation | None:
    return session.scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == kind, HelpdeskInstallation.external_id == external_id)).first()


def _installation(session: Session, host: HelpdeskHost, grant: Grant) -> HelpdeskInstallation | None:
    """By external id; without one, the installation where this helpdesk user is already linked."""
    if grant.external_id:
        return find_installation(session, host.kind, grant.external_id)
    return session.scalars(select(HelpdeskInstallation).join(
        AgentIdentity, AgentIdentity.installation_id == HelpdeskInstallation.id).where(
        HelpdeskInstallation.kind == host.kind, AgentIdentity.external_user_id == grant.me.external_id)
        .order_by(HelpdeskInstallation.id)).first()


def _create_account(session: Session, host: HelpdeskHost, grant: Grant, source: Source) -> SignIn:
    me, external_id = grant.me, grant.external_id
    if not me.is_admin:
        raise ProvisioningRefused(f"{external_id} ({host.label}) is not connected to ChargeDesk yet. "
                                  f"A {host.label} admin must sign in first to connect it.")
    email = normalize_email(me.email)
    if email is None:
        raise ProvisioningRefused(f"Your {host.label} user has no usable email address.")
    actor = {"kind": "helpdesk", "name": me.name or email,
             "helpdesk": {"kind": host.kind, "external_user_id": me.external_id}}
    account = create_account(session, name=external_id.replace("-", " ").title(),
                             slug=_free_slug(session, external_id, host.kind))
    field = host.sign_in_field.name if host.sign_in_field else "external_id"
    append(session, account_id=account.id, event="account.created", actor=actor, subject_type="account",
           subject_id=str(account.id), source={"via": source.via, "ip": source.ip},
           details={"via": f"{host.kind}_oauth", field: external_id, "owner_email": email})
    owner = add_user(session, account, email=email, role="owner", name=me.name, actor=actor)
    installation = HelpdeskInstallation(
        account_id=account.id, kind=host.kind, external_id=external_id, credentials=dict(grant.credentials),
        token_expires_at=_expiry(grant.credentials), status="active",
        settings={"api_base": grant.api_base} if grant.api_base else {})
    session.add(installation)
    session.flush()
    session.add(AgentIdentity(account_id=account.id, user_id=owner.id, installation_id=installation.id,
                              external_user_id=me.external_id))
    session.flush()
    return SignIn(account_id=account.id, user_id=owner.id, created_account=True)


def _enter_account(session: Session, host: HelpdeskHost, installation: HelpdeskInstallation, grant: Grant,
                   source: Source) -> SignIn:
    me = grant.me
    user = identity_user(session, installation, me.external_id) or _user_by_email(session, installation, me)
    if user is None and not me.is_admin:
        raise ProvisioningRefused(
            f"You are not a ChargeDesk user of {installation.external_id} ({host.label}). "
            f"Ask an account admin to add you, or sign in as a {host.label} admin.")
    if user is None or identity_user(session, installation, me.external_id) is None:
        user = link_helpdesk_user(session, installation, me, source=source)
    usable(user)
    if me.is_admin:
        _store_tokens(session, installation, user, grant, source)
    return SignIn(account_id=installation.account_id, user_id=user.id, created_account=False)


def _store_tokens(session: Session, installation: HelpdeskInstallation, user: User, grant: Grant,
                  source: Source) -> None:
    """An admin's fresh grant replaces the stored one and clears a reconnect request."""
    was = installation.status
    settings = {k: v for k, v in (installation.settings or {}).items() if k != "reconnect_reason"}
    if grant.api_base:
        settings["api_base"] = grant.api_base
    installation.credentials, installation.settings = {**(installation.credentials or {}), **grant.credentials}, settings
    installation.token_expires_at, installation.status = _expiry(grant.credentials), "active"
    session.flush()
    if was != "active":
        actor = {"kind": "session", "role": user.role, "name": user.name or user.email, "user_id": user.id,
                 "helpdesk": {"kind": installation.kind, "installation_id": installation.id,
                              "external_user_id": grant.me.external_id}}
        append(session, account_id=installation.account_id, event="helpdesk.reconnected", actor=actor,
               subject_type="helpdesk_installation", subject_id=str(installation.id),
               details={"from": was, "to": "active"}, source={"via": source.via, "ip": source.ip})


def _user_by_email(session: Session, installation: HelpdeskInstallation, me: HostUser) -> User | None:
    email = normalize_email(me.email)
    if email is None:
        return None
    return session.scalars(select(User).where(User.account_id == installation.account_id,
                                              User.email == email)).first()


def _free_slug(session: Session, external_id: str, kind: str) -> str:
    base = slugify(external_id)
    taken = set(session.scalars(select(Account.slug).where(Account.slug.like(f"{base}%"))))
    candidates = [base, f"{base}-{kind}"] + [f"{base}-{n}" for n in range(2, 1000)]
    return next(c for c in candidates if c not in taken and not c.isdigit())


def _expiry(credentials: dict):
    from datetime import datetime, timezone

    expires_at = credentials.get("expires_at")
    return datetime.fromtimestamp(int(expires_at), timezone.utc) if expires_at else None

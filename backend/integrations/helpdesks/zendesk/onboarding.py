"""OAuth sign-in outcomes: a new account for a new subdomain, or entry to the existing one.

A Zendesk admin signing in for an unknown subdomain becomes the owner of a new account with the
installation (tokens encrypted). For a known subdomain, users get in by identity or email; a
Zendesk admin who is not yet a user is added as an admin, other strangers are refused. A Zendesk
admin's sign-in also refreshes the installation's tokens (this is how "reconnect" works).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.accounts import add_user, create_account, slugify
from backend.emails import normalize_email
from backend.models import Account, AgentIdentity, HelpdeskInstallation, User

from .audit_trail import record_event
from .client import ZendeskUser
from .installations import expiry_of
from .provisioning import ProvisioningRefused, Source, identity_user, link_zendesk_user, usable


@dataclass(frozen=True)
class SignIn:
    account_id: int
    user_id: int
    created_account: bool


def find_installation(session: Session, subdomain: str) -> HelpdeskInstallation | None:
    return session.scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == "zendesk", HelpdeskInstallation.external_id == subdomain)).first()


def sign_in(session: Session, *, subdomain: str, me: ZendeskUser, credentials: dict,
            api_base: str | None, source: Source) -> SignIn:
    """Resolve who signs in; creates what is missing, in the caller's transaction."""
    if not me.is_staff or not me.active or me.suspended:
        raise ProvisioningRefused("Only Zendesk agents and admins can sign in to ChargeDesk.")
    installation = find_installation(session, subdomain)
    if installation is None:
        try:
            with session.begin_nested():
                return _create_account(session, subdomain, me, credentials, api_base, source)
        except IntegrityError:  # another admin of the same subdomain got there first
            installation = find_installation(session, subdomain)
            if installation is None:
                raise ProvisioningRefused("Sign-in collided with another one; try again.", status=409) from None
    return _enter_account(session, installation, me, credentials, api_base, source)


def _create_account(session: Session, subdomain: str, me: ZendeskUser, credentials: dict,
                    api_base: str | None, source: Source) -> SignIn:
    if not me.is_admin:
        raise ProvisioningRefused(f"{subdomain}.zendesk.com is not connected to ChargeDesk yet. "
                                  "A Zendesk admin must sign in first to connect it.")
    email = normalize_email(me.email)
    if email is None:
        raise ProvisioningRefused("Your Zendesk user has no usable email address.")
    actor = {"kind": "helpdesk", "name": me.name or email,
             "helpdesk": {"kind": "zendesk", "external_user_id": str(me.id)}}
    account = create_account(session, name=subdomain.replace("-", " ").title(),
                             slug=_free_slug(session, subdomain))
    record_event(session, account_id=account.id, event="account.created", actor=actor, subject_type="account",
                 subject_id=account.id, source={"via": source.via, "ip": source.ip},
                 details={"via": "zendesk_oauth", "subdomain": subdomain, "owner_email": email})
    owner = add_user(session, account, email=email, role="owner", name=me.name, actor=actor)
    _install(session, account.id, owner, subdomain=subdomain, me=me, credentials=credentials, api_base=api_base)
    return SignIn(account_id=account.id, user_id=owner.id, created_account=True)


def _install(session: Session, account_id: int, owner: User, *, subdomain: str, me: ZendeskUser,
             credentials: dict, api_base: str | None) -> HelpdeskInstallation:
    """The installation (tokens encrypted at rest) and the owner's Zendesk identity."""
    installation = HelpdeskInstallation(
        account_id=account_id, kind="zendesk", external_id=subdomain, credentials=dict(credentials),
        token_expires_at=expiry_of(credentials), status="active",
        settings={"api_base": api_base} if api_base else {})
    session.add(installation)
    session.flush()
    session.add(AgentIdentity(account_id=account_id, user_id=owner.id, installation_id=installation.id,
                              external_user_id=str(me.id)))
    session.flush()
    return installation


def _enter_account(session: Session, installation: HelpdeskInstallation, me: ZendeskUser,
                   credentials: dict, api_base: str | None, source: Source) -> SignIn:
    user = identity_user(session, installation, str(me.id)) or _user_by_email(session, installation, me)
    if user is None and not me.is_admin:
        raise ProvisioningRefused(
            f"You are not a ChargeDesk user of {installation.external_id}.zendesk.com. "
            "Ask an account admin to add you, or sign in as a Zendesk admin.")
    if user is None or identity_user(session, installation, str(me.id)) is None:
        user = link_zendesk_user(session, installation, me, source=source)
    usable(user)
    if me.is_admin:
        _store_tokens(session, installation, user, me, credentials, api_base, source)
    return SignIn(account_id=installation.account_id, user_id=user.id, created_account=False)


def _store_tokens(session: Session, installation: HelpdeskInstallation, user: User, me: ZendeskUser,
                  credentials: dict, api_base: str | None, source: Source) -> None:
    """An admin's fresh grant replaces the stored one and clears a reconnect request."""
    was = installation.status
    settings = {k: v for k, v in (installation.settings or {}).items() if k != "reconnect_reason"}
    if api_base:
        settings["api_base"] = api_base
    installation.credentials, installation.settings = dict(credentials), settings
    installation.token_expires_at, installation.status = expiry_of(credentials), "active"
    session.flush()
    if was != "active":
        record_event(session, account_id=installation.account_id, event="helpdesk.reconnected",
                     actor=_actor(user, me, installation), subject_type="helpdesk_installation",
                     subject_id=installation.id, details={"from": was, "to": "active"},
                     source={"via": source.via, "ip": source.ip})


def _user_by_email(session: Session, installation: HelpdeskInstallation, me: ZendeskUser) -> User | None:
    email = normalize_email(me.email)
    if email is None:
        return None
    return session.scalars(select(User).where(User.account_id == installation.account_id,
                                              User.email == email)).first()


def _free_slug(session: Session, subdomain: str) -> str:
    base = slugify(subdomain)
    taken = set(session.scalars(select(Account.slug).where(Account.slug.like(f"{base}%"))))
    candidates = [base, f"{base}-zendesk"] + [f"{base}-{n}" for n in range(2, 1000)]
    return next(c for c in candidates if c not in taken and not c.isdigit())


def _actor(user: User, me: ZendeskUser, installation: HelpdeskInstallation) -> dict:
    return {"kind": "session", "role": user.role, "name": user.name or user.email, "user_id": user.id,
            "helpdesk": {"kind": "zendesk", "installation_id": installation.id, "external_user_id": str(me.id)}}

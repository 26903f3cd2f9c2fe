"""Creating accounts, users and their limits: shared by the CLI, the demo and the admin UI."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from .emails import normalize_email
from .models import ROLES, Account, User

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class AccountInputError(ValueError):
    """Bad input for an account or user, phrased for a person."""


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63]
    return slug or "account"


def create_account(session: Session, *, name: str, slug: str | None = None,
                   currency: str = "USD") -> Account:
    from .money import MoneyError, normalize_currency

    name = (name or "").strip()
    if not name:
        raise AccountInputError("account name must not be empty")
    slug = slug or slugify(name)
    if not SLUG_RE.match(slug) or slug.isdigit():
        raise AccountInputError(f"invalid slug {slug!r}: use lower-case letters, digits and dashes")
    if session.scalars(select(Account).where(Account.slug == slug)).first():
        raise AccountInputError(f"an account with slug {slug!r} already exists")
    try:
        currency = normalize_currency(currency)
    except MoneyError as exc:
        raise AccountInputError(str(exc)) from None
    account = Account(name=name, slug=slug, default_currency=currency)
    session.add(account)
    session.flush()
    return account


SYSTEM_ACTOR = {"kind": "system", "name": "chargedesk CLI"}


def _audit_settings(session: Session, account: Account, event: str, actor: dict | None, **details) -> None:
    """Settings changes go on the same hash-chained trail as money movements."""
    from .audit import append

    append(session, account_id=account.id, event=event, actor=actor or SYSTEM_ACTOR,
           subject_type=details.pop("subject_type", "account"), subject_id=details.pop("subject_id", account.id),
           details=details)


def add_user(session: Session, account: Account, *, email: str, role: str,
             name: str | None = None, refund_limit_minor: int | None = None, actor: dict | None = None) -> User:
    normalized = normalize_email(email)
    if normalized is None:
        raise AccountInputError(f"invalid email address {email!r}")
    if role not in ROLES:
        raise AccountInputError(f"invalid role {role!r}; choose one of {', '.join(ROLES)}")
    if refund_limit_minor is not None and refund_limit_minor < 0:
        raise AccountInputError("refund limit must not be negative")
    exists = session.scalars(select(User).where(User.account_id == account.id, User.email == normalized)).first()
    if exists:
        raise AccountInputError(f"{normalized} is already a user of {account.slug}")
    user = User(account_id=account.id, email=normalized, role=role, name=name,
                refund_limit_minor=refund_limit_minor)
    session.add(user)
    session.flush()
    _audit_settings(session, account, "settings.user_added", actor, subject_type="user", subject_id=user.id,
                    email=user.email, role=role, refund_limit_minor=refund_limit_minor)
    return user


_UNSET = object()


def update_user(session: Session, account: Account, user: User, *, role: str | None = None,
                refund_limit_minor=_UNSET, actor: dict | None = None) -> User:
    """Change a user's role and/or refund limit (None = the role's default); audited with before/after."""
    if role is not None and role not in ROLES:
        raise AccountInputError(f"invalid role {role!r}; choose one of {', '.join(ROLES)}")
    if refund_limit_minor is not _UNSET and refund_limit_minor is not None and refund_limit_minor < 0:
        raise AccountInputError("refund limit must not be negative")
    before = {"role": user.role, "refund_limit_minor": user.refund_limit_minor}
    if role is not None:
        user.role = role
    if refund_limit_minor is not _UNSET:
        user.refund_limit_minor = refund_limit_minor
    after = {"role": user.role, "refund_limit_minor": user.refund_limit_minor}
    if after != before:
        session.flush()
        _audit_settings(session, account, "settings.user_changed", actor, subject_type="user",
                        subject_id=user.id, email=user.email, before=before, after=after)
    return user


def update_account_settings(session: Session, account: Account, changes: dict, *,
                            actor: dict | None = None) -> Account:
    """Merge `changes` into account.settings (reason codes, agent refund limit ...); audited."""
    before = dict(account.settings or {})
    after = {**before, **changes}
    if after != before:
        account.settings = after
        session.flush()
        changed = sorted(k for k in changes if before.get(k) != after.get(k))
        _audit_settings(session, account, "settings.changed", actor, keys=changed,
                        before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
    return account

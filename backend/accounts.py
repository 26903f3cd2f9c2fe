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


def add_user(session: Session, account: Account, *, email: str, role: str,
             name: str | None = None, refund_limit_minor: int | None = None) -> User:
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
    return user

"""Account API keys: shown once, stored as a SHA-256 hash, found by a public prefix."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, ApiKey, User, utcnow
from .principal import Principal

KEY_PREFIX = "cdk"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, account: Account, name: str | None = None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext key (never stored)."""
    prefix = secrets.token_hex(6)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(account_id=account.id, name=name, prefix=prefix, key_hash=_hash(plaintext))
    session.add(row)
    session.flush()
    return row, plaintext


def _split(key: str) -> str | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        return None
    return parts[1]


def principal_for_key(session: Session, key: str) -> Principal | None:
    """The principal for a valid, unrevoked key; None otherwise (timing-safe compare).

    One query: the key row and the account's first owner, who API-key actions are attributed to.
    """
    prefix = _split(key or "")
    if prefix is None:
        return None
    owner_id = (select(User.id).where(User.account_id == ApiKey.account_id, User.role == "owner")
                .order_by(User.id).limit(1).scalar_subquery())
    row = session.execute(
        select(ApiKey.account_id, ApiKey.key_hash, ApiKey.revoked_at, ApiKey.name, owner_id)
        .where(ApiKey.prefix == prefix)).one_or_none()
    if row is None or not hmac.compare_digest(row.key_hash, _hash(key)) or row.revoked_at is not None:
        return None
    return Principal(account_id=row.account_id, role="owner", kind="api_key", user_id=row[4],
                     display_name=f"API key {row.name or prefix}", helpdesk={})


def revoke_api_key(session: Session, row: ApiKey) -> None:
    row.revoked_at = utcnow()

"""Short-lived sidebar tokens: minted after a helpdesk host is verified, sent as Bearer tokens.

Sidebars live in cross-site iframes where cookies are unreliable, so the page carries this token
instead. It binds (account, helpdesk installation, agent) and expires quickly.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..models import HelpdeskInstallation, User
from .host_keys import HostKeyStamp, key_stamp
from .principal import Principal

TOKEN_PREFIX = "sbt."
MAX_AGE_SECONDS = 30 * 60


@dataclass(frozen=True)
class SidebarClaims:
    account_id: int
    installation_id: int
    user_id: int
    host: str  # zendesk | helpscout | intercom | front
    external_user_id: str
    key: HostKeyStamp | None = None  # the host key the load was verified with (backend.auth.host_keys)


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="chargedesk.sidebar")


def mint_sidebar_token(claims: SidebarClaims) -> str:
    """A token for a verified host load, stamped with the installation's host key (who changed it
    and when). Without `claims.key`, the stamp is read from the installation, which the host view
    has just loaded in this session to verify the load (so it is the key that verified it)."""
    key = claims.key if claims.key is not None else installation_key_stamp(claims.installation_id)
    payload = {"a": claims.account_id, "i": claims.installation_id, "u": claims.user_id,
               "h": claims.host, "x": claims.external_user_id}
    if key is not None:
        payload["k"] = key.as_claim()
    return TOKEN_PREFIX + _serializer().dumps(payload)


def installation_key_stamp(installation_id: int) -> HostKeyStamp | None:
    """The current key stamp of an installation (from the session's identity map when loaded)."""
    from ..db import session

    installation = session().get(HelpdeskInstallation, installation_id)
    return key_stamp(installation.settings) if installation is not None else None


def read_sidebar_token(token: str, max_age: int = MAX_AGE_SECONDS, *,
                       secret_key: str | None = None) -> SidebarClaims | None:
    """The claims of a valid, unexpired token; None otherwise. `secret_key` defaults to the
    current app's (give it where there is no app context)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    try:
        claims, signed_at = _verified(secret_key or current_app.config["SECRET_KEY"], token)
    except BadSignature:
        return None
    age = time.time() - signed_at
    return claims if 0 <= age <= max_age else None


@lru_cache(maxsize=4096)
def _verified(secret_key: str, token: str) -> tuple[SidebarClaims, float]:
    """(claims, signing time) of a well-signed token, else BadSignature (not cached).

    A sidebar sends the same token with every request for half an hour; its signature is checked
    once per process, its age on every call. The cache holds only tokens signed with our key.
    """
    data, signed_at = _serializer_for(secret_key).loads(token[len(TOKEN_PREFIX):], return_timestamp=True)
    claims = SidebarClaims(account_id=data["a"], installation_id=data["i"], user_id=data["u"],
                           host=data["h"], external_user_id=data["x"], key=HostKeyStamp.from_claim(data.get("k")))
    return claims, signed_at.timestamp()


@lru_cache(maxsize=1)
def agent_statement():
    """The agent behind a token, if still enabled on an active installation (built once: Core only)."""
    return (select(User.id, User.role, User.name, User.email, User.refund_limit_minor)
            .join(HelpdeskInstallation, HelpdeskInstallation.account_id == User.account_id)
            .where(User.id == bindparam("user_id"), User.account_id == bindparam("account_id"),
                   User.disabled_at.is_(None), HelpdeskInstallation.id == bindparam("installation_id"),
                   HelpdeskInstallation.status == "active"))


def principal_for_sidebar_token(session: Session, token: str) -> Principal | None:
    """Token resolver for the API: the agent behind a sidebar, with their current role and limit.

    One joined query, so a disabled user or a disconnected installation stops working at once.
    """
    claims = read_sidebar_token(token)
    if claims is None:
        return None
    row = session.connection().execute(agent_statement(), agent_params(claims)).one_or_none()
    return principal_from_row(claims, row)


def agent_params(claims: SidebarClaims) -> dict[str, int]:
    return {"user_id": claims.user_id, "account_id": claims.account_id, "installation_id": claims.installation_id}


def principal_from_row(claims: SidebarClaims, row, prefix: str = "") -> Principal | None:
    """The principal for the claims, given `agent_statement`'s row (None: disabled or disconnected).

    `prefix`: the row is from a statement that labels agent_statement's columns `{prefix}{name}`.
    """
    if row is None:
        return None
    field = lambda name: getattr(row, prefix + name)  # noqa: E731
    return Principal(
        account_id=claims.account_id, role=field("role"), kind="sidebar", user_id=field("id"),
        display_name=field("name") or field("email"), refund_limit_minor=field("refund_limit_minor"),
        helpdesk={"kind": claims.host, "installation_id": claims.installation_id,
                  "external_user_id": claims.external_user_id},
        host_key=claims.key,
    )

"""Short-lived sidebar tokens: minted after a helpdesk host is verified, sent as Bearer tokens.

Sidebars live in cross-site iframes where cookies are unreliable, so the page carries this token
instead. It binds (account, helpdesk installation, agent) and expires quickly.

A helpdesk user nobody has linked yet gets a read-only token: no user id, bound to (account,
installation, host, their helpdesk user id). It reads the billing context of that account and
nothing else: every other API call answers 403 (backend.api.sidebar reads it with `viewer_principal`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from werkzeug.exceptions import Forbidden
from sqlalchemy.orm import Session

from ..models import HelpdeskInstallation, User
from .host_keys import HostKeyStamp, key_stamp
from .principal import Principal

TOKEN_PREFIX = "sbt."
MAX_AGE_SECONDS = 30 * 60
VIEWER_ROLE = "viewer"
READ_ONLY_MESSAGE = ("This sidebar is read-only: your helpdesk user is not linked to a ChargeDesk user yet. "
                     "Ask an admin to link your account to take actions.")


@dataclass(frozen=True)
class SidebarClaims:
    account_id: int
    installation_id: int
    user_id: int | None  # None: a read-only viewer (a helpdesk user no admin has linked yet)
    host: str  # zendesk | helpscout | intercom | front
    external_user_id: str
    key: HostKeyStamp | None = None  # the host key the load was verified with (backend.auth.host_keys)

    @property
    def read_only(self) -> bool:
        return self.user_id is None


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
    user_id = data["u"]
    if user_id is not None and not isinstance(user_id, int):
        raise BadSignature("malformed user id")
    claims = SidebarClaims(account_id=data["a"], installation_id=data["i"], user_id=user_id,
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
    A read-only token is refused here with a 403: it grants the billing context only, which
    reads it itself (backend.api.sidebar).
    """
    claims = read_sidebar_token(token)
    if claims is None:
        return None
    if claims.read_only:
        raise Forbidden(READ_ONLY_MESSAGE)
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


@lru_cache(maxsize=1)
def viewer_statement():
    """The installation behind a read-only token, if still active for that account and host."""
    return (select(HelpdeskInstallation.id)
            .where(HelpdeskInstallation.id == bindparam("installation_id"),
                   HelpdeskInstallation.account_id == bindparam("account_id"),
                   HelpdeskInstallation.kind == bindparam("host"), HelpdeskInstallation.status == "active"))


def viewer_params(claims: SidebarClaims) -> dict:
    return {"installation_id": claims.installation_id, "account_id": claims.account_id, "host": claims.host}


def viewer_principal(claims: SidebarClaims, row) -> Principal | None:
    """The read-only principal of a viewer token, given `viewer_statement`'s row (None: the
    installation is gone or disconnected). It can read billing and never act."""
    if row is None or not claims.read_only:
        return None
    return Principal(account_id=claims.account_id, role=VIEWER_ROLE, kind="sidebar", user_id=None,
                     display_name="", helpdesk={"kind": claims.host, "installation_id": claims.installation_id,
                                                "external_user_id": claims.external_user_id, "linked": False},
                     host_key=claims.key)


def viewer_principal_in_session(session: Session, claims: SidebarClaims) -> Principal | None:
    """`viewer_principal` read through an ORM session (SQLite, the demo)."""
    return viewer_principal(claims, session.connection().execute(viewer_statement(), viewer_params(claims)).first())

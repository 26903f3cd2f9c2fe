"""Validated, audited settings changes made from the admin page (agents; the Zendesk app: app_keys)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts import update_user
from backend.models import ROLES, User
from backend.money import MoneyError, format_money, to_major, to_minor

from .auth import AdminViewer


class FormError(ValueError):
    """A refused form value; the message is shown above the form, with `status` (400, 403 ...)."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def refund_limit_text(user: User, currency: str) -> str:
    return "" if user.refund_limit_minor is None else str(to_major(user.refund_limit_minor, currency))


def describe_limit(user: User, currency: str) -> str:
    if user.refund_limit_minor is None:
        return "role default"
    return format_money(user.refund_limit_minor, currency)


def update_agent(session: Session, viewer: AdminViewer, user_id: int, *, role: str, refund_limit: str,
                 source: dict) -> bool:
    """Change a user's role and refund limit; True if something changed (and was audited)."""
    require_manager(viewer)
    user = session.scalars(select(User).where(User.id == user_id, User.account_id == viewer.account.id)).first()
    if user is None:
        raise FormError("That user is not part of this account.")
    new_role = _valid_role(viewer, user, role)
    new_limit = _parse_limit(refund_limit, viewer.account.default_currency)
    if user.role == "owner" and new_role != "owner" and _owner_count(session, viewer.account.id) <= 1:
        raise FormError("An account needs at least one owner: make someone else owner first.")
    before = (user.role, user.refund_limit_minor)
    update_user(session, viewer.account, user, role=new_role, refund_limit_minor=new_limit,
                actor=actor_of(viewer))
    return before != (new_role, new_limit)


def require_manager(viewer: AdminViewer) -> None:
    if not viewer.can_manage:
        raise FormError("Only owners and admins can change settings.", status=403)


def _valid_role(viewer: AdminViewer, user: User, role: str) -> str:
    role = (role or "").strip()
    if role not in ROLES:
        raise FormError(f"Choose a role among {', '.join(ROLES)}.")
    if "owner" in (role, user.role) and role != user.role and viewer.user.role != "owner":
        raise FormError("Only an owner can grant or take away the owner role.")
    return role


def _parse_limit(text: str, currency: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        minor = to_minor(text, currency)
    except MoneyError as exc:
        raise FormError(f"Refund limit: {exc}.") from None
    if minor < 0:
        raise FormError("Refund limit must not be negative (leave it empty for the role's default).")
    if minor >= 10**15:
        raise FormError("Refund limit is too large.")
    return minor


def _owner_count(session: Session, account_id: int) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.account_id == account_id, User.role == "owner", User.disabled_at.is_(None))) or 0


def actor_of(viewer: AdminViewer) -> dict:
    return {"kind": "session", "role": viewer.user.role, "name": viewer.user.name or viewer.user.email,
            "user_id": viewer.user.id}

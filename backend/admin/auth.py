"""Who is signed in to the admin UI (a first-party session cookie) and what they may do."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import redirect, request, session, url_for

from backend.db import session as db_session
from backend.models import Account, User

from .csrf import csrf_token

MANAGING_ROLES = ("owner", "admin")
VIEWER_KEY = "chargedesk.admin_viewer"


@dataclass(frozen=True)
class AdminViewer:
    user: User
    account: Account

    @property
    def can_manage(self) -> bool:
        return self.user.role in MANAGING_ROLES


def start_session(*, account_id: int, user_id: int) -> None:
    """A fresh session (no fixation), with a new CSRF token."""
    session.clear()
    session.permanent = True
    session["account_id"], session["user_id"] = account_id, user_id
    csrf_token()


def current_viewer() -> AdminViewer | None:
    """The signed-in user of this request (cached on the request, never across requests)."""
    if VIEWER_KEY in request.environ:
        return request.environ[VIEWER_KEY]
    user = db_session().get(User, session.get("user_id") or 0)
    ok = user is not None and user.account_id == session.get("account_id") and user.disabled_at is None
    viewer = AdminViewer(user, db_session().get(Account, user.account_id)) if ok else None
    request.environ[VIEWER_KEY] = viewer
    return viewer


def sign_in_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_viewer() is None:
            session.pop("user_id", None)
            return redirect(url_for("admin.sign_in"))
        return view(*args, **kwargs)
    return wrapper

"""Who is signed in to the admin UI (a first-party session cookie) and what they may do."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import redirect, request, session, url_for
from sqlalchemy import update

from backend.db import session as db_session
from backend.models import Account, User

from .csrf import csrf_token

MANAGING_ROLES = ("owner", "admin")
VIEWER_KEY = "chargedesk.admin_viewer"
GENERATION_KEY = "generation"


@dataclass(frozen=True)
class AdminViewer:
    user: User
    account: Account

    @property
    def can_manage(self) -> bool:
        return self.user.role in MANAGING_ROLES

    @property
    def is_owner(self) -> bool:
        """Owners alone change what verifies a helpdesk host (app keys, secrets)."""
        return self.user.role == "owner"


def start_session(*, account_id: int, user_id: int) -> None:
    """A fresh session (no fixation), with a new CSRF token and the user's session generation."""
    user = db_session().get(User, user_id)
    session.clear()
    session.permanent = True
    session["account_id"], session["user_id"] = account_id, user_id
    session[GENERATION_KEY] = user.session_generation if user is not None else -1
    csrf_token()


def current_viewer() -> AdminViewer | None:
    """The signed-in user of this request (cached on the request, never across requests).

    The cookie must carry the user's current session generation: signing out bumps it, so a
    cookie from before (kept by a browser, or copied by someone) no longer signs anyone in."""
    if VIEWER_KEY in request.environ:
        return request.environ[VIEWER_KEY]
    user = db_session().get(User, _int(session.get("user_id")))
    ok = (user is not None and user.account_id == session.get("account_id") and user.disabled_at is None
          and session.get(GENERATION_KEY) == user.session_generation)
    viewer = AdminViewer(user, db_session().get(Account, user.account_id)) if ok else None
    request.environ[VIEWER_KEY] = viewer
    return viewer


def end_session() -> None:
    """Sign out: every session of this user ends server-side (generation + 1), then the cookie."""
    viewer = current_viewer()
    if viewer is not None:
        db_session().execute(update(User).where(User.id == viewer.user.id)
                             .values(session_generation=User.session_generation + 1))
        db_session().commit()
    session.clear()


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def sign_in_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_viewer() is None:
            session.pop("user_id", None)
            return redirect(url_for("admin.sign_in"))
        return view(*args, **kwargs)
    return wrapper

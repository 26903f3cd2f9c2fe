"""The Zendesk app's verification settings: who may change them, how, and who hears of it.

The app installation id and public key decide which signed sidebar loads we accept: whoever sets
them can open a sidebar as any agent, the owner included. So only owners change them; the change
is recorded on the installation (who, when, key version: backend.auth.host_keys), audited as
`helpdesk.key_changed` and mailed to every owner by a job (backend.admin.notices). Owners fetch
the key from Zendesk with the installation's OAuth token, or paste it where there is no OAuth.
Admins keep the support email.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.host_keys import key_fingerprint, with_key_change
from backend.emails import normalize_email
from backend.admin.auth import AdminViewer
from backend.admin.changes import FormError, actor_of, require_manager
from backend.admin.notices import KEY_CHANGED
from backend.models import HelpdeskInstallation

from .. import HelpdeskError
from .audit_trail import record_event
from .installations import client_for, mark_reconnect_required
from .jwt import load_public_key_pem

APP_INSTALLATION_ID_RE = re.compile(r"^[0-9]{1,20}$")
VERIFICATION_SETTINGS = ("app_installation_id", "public_key_pem")
KIND = "zendesk"


@dataclass(frozen=True)
class AppChange:
    changed: tuple[str, ...] = ()
    key_change_entry_id: int | None = None  # the audit entry to announce to the owners


def update_zendesk_app(session: Session, viewer: AdminViewer, installation_id: int, *,
                       app_installation_id: str | None, public_key_pem: str | None,
                       support_email: str | None, source: dict) -> AppChange:
    """The settings form; a field left out (None) is kept. Key changes are owner-only."""
    require_manager(viewer)
    installation = zendesk_installation(session, viewer, installation_id, lock=True)
    values = {}
    if app_installation_id is not None:
        values["app_installation_id"] = valid_app_installation_id(app_installation_id)
    if public_key_pem is not None:
        values["public_key_pem"] = valid_public_key(public_key_pem, "The app public key")
    if support_email is not None and support_email.strip():
        values["support_email"] = _valid_email(support_email)
    return _apply(session, viewer, installation, values, via="pasted", source=source)


def fetch_zendesk_app_key(session: Session, viewer: AdminViewer, installation_id: int, *,
                          app_installation_id: str | None) -> dict:
    """Ask Zendesk for the app's public key (the installation's OAuth token); writes nothing."""
    require_owner(viewer, "Only an owner can change the Zendesk app key.")
    installation = zendesk_installation(session, viewer, installation_id)
    app_id = valid_app_installation_id(app_installation_id or
                                       (installation.settings or {}).get("app_installation_id") or "")
    if installation.status != "active" or not (installation.credentials or {}).get("access_token"):
        raise FormError("This installation has no working Zendesk connection: reconnect Zendesk, or "
                        "paste the key.", status=409)
    try:
        key = client_for(installation).app_public_key(app_id)
    except HelpdeskError as exc:
        if exc.reconnect:
            mark_reconnect_required(installation.id, reason=exc.message)
        raise FormError(f"Zendesk did not give the app key: {exc.message}.",
                        status=503 if exc.retryable else 502) from None
    return {"app_installation_id": app_id, "app_id": key.app_id,
            "public_key_pem": valid_public_key(key.public_key_pem, "The key Zendesk sent", status=502)}


def save_fetched_key(session: Session, viewer: AdminViewer, installation_id: int, values: dict, *,
                     source: dict) -> AppChange:
    require_owner(viewer, "Only an owner can change the Zendesk app key.")
    installation = zendesk_installation(session, viewer, installation_id, lock=True)
    return _apply(session, viewer, installation, values, via="fetched_from_zendesk", source=source)


def zendesk_installation(session: Session, viewer: AdminViewer, installation_id: int, *,
                         lock: bool = False) -> HelpdeskInstallation:
    stmt = select(HelpdeskInstallation).where(
        HelpdeskInstallation.id == installation_id, HelpdeskInstallation.account_id == viewer.account.id,
        HelpdeskInstallation.kind == KIND)
    installation = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if installation is None:
        raise FormError("That Zendesk installation is not part of this account.", status=404)
    return installation


def require_owner(viewer: AdminViewer, message: str) -> None:
    if not viewer.is_owner:
        raise FormError(message, status=403)


def valid_app_installation_id(value: str) -> str:
    text = (value or "").strip()
    if not APP_INSTALLATION_ID_RE.match(text):
        raise FormError("The app installation id is the number Zendesk shows for the installed app "
                        "(digits only).")
    return text


def valid_public_key(pem: str, what: str, *, status: int = 400) -> str:
    text = (pem or "").strip()
    try:
        load_public_key_pem(text)
    except ValueError as exc:
        raise FormError(f"{what} is not usable: {exc}.", status=status) from None
    return text + "\n"


def _valid_email(value: str) -> str:
    normalized = normalize_email(value.strip())
    if normalized is None:
        raise FormError("The support email address is not valid.")
    return normalized


def _apply(session: Session, viewer: AdminViewer, installation: HelpdeskInstallation, values: dict, *,
           via: str, source: dict) -> AppChange:
    old = dict(installation.settings or {})
    changed = tuple(sorted(k for k, v in values.items() if old.get(k) != v))
    if not changed:
        return AppChange()
    key_change = any(k in VERIFICATION_SETTINGS for k in changed)
    if key_change:
        require_owner(viewer, "Only an owner can change the Zendesk app installation id or public key "
                              "(they decide who can open the sidebar as whom).")
    settings = {**old, **values}
    if not key_change:
        installation.settings = settings
        record_event(session, account_id=viewer.account.id, event="settings.helpdesk_changed",
                     actor=actor_of(viewer), subject_type="helpdesk_installation", subject_id=installation.id,
                     source=source, details={"changed": list(changed)})
        return AppChange(changed)
    new_fingerprint = key_fingerprint(settings.get("public_key_pem", ""))
    installation.settings, stamp = with_key_change(settings, changed_by_user_id=viewer.user.id, via=via,
                                                   fingerprint=new_fingerprint)
    entry = record_event(
        session, account_id=viewer.account.id, event=KEY_CHANGED, actor=actor_of(viewer),
        subject_type="helpdesk_installation", subject_id=installation.id, source=source,
        details={"kind": installation.kind, "external_id": installation.external_id,
                 "helpdesk_account": f"{installation.external_id}.zendesk.com", "changed": list(changed),
                 "via": via, "key_version": stamp.version, "fingerprint": new_fingerprint,
                 "previous_fingerprint": key_fingerprint(old["public_key_pem"]) if old.get("public_key_pem") else None,
                 "app_installation_id": settings.get("app_installation_id"),
                 "previous_app_installation_id": old.get("app_installation_id")})
    return AppChange(changed, entry.id)

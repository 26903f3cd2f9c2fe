"""A stored Help Scout installation: its client (tokens refreshed under a row lock, saved at once,
the app's secret key kept) and the reconnect flag when Help Scout refuses the grant."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import db
from backend.models import HelpdeskInstallation

from .. import HelpdeskConfig, HelpdeskError
from .client import HelpScoutHelpdesk
from .oauth import HelpScoutOAuthError, merged_credentials, needs_refresh, oauth_client_from_app, refresh_credentials

log = logging.getLogger(__name__)
KIND = "helpscout"
RECONNECT_REQUIRED = "reconnect_required"


def find_installation(session: Session, external_id: str) -> HelpdeskInstallation | None:
    """Our installation for the `app` parameter of a callback URL (its external id)."""
    if not external_id or len(external_id) > 255:
        return None
    return session.scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == KIND, HelpdeskInstallation.external_id == external_id)).first()


def helpdesk_config_for(installation: HelpdeskInstallation) -> HelpdeskConfig:
    installation_id = installation.id
    return HelpdeskConfig(installation_id=installation_id, external_id=installation.external_id,
                          credentials=dict(installation.credentials or {}),
                          api_base=(installation.settings or {}).get("api_base"),
                          settings=dict(installation.settings or {}),
                          save_credentials=lambda creds: save_credentials(installation_id, creds))


def save_credentials(installation_id: int, credentials: dict) -> None:
    """Persist a refreshed pair at once (own transaction, row locked); the secret key is kept."""
    with Session(db.engine()) as s:
        row = s.get(HelpdeskInstallation, installation_id, with_for_update=True)
        if row is None:
            return
        row.credentials = merged_credentials(row.credentials or {}, credentials)
        row.token_expires_at = expiry_of(row.credentials)
        s.commit()
    _forget_cached(installation_id)


def refresh_if_due(installation_id: int) -> None:
    """Refresh a token close to expiry with the row locked, so two workers never spend one refresh token."""
    with Session(db.engine()) as s:
        row = s.get(HelpdeskInstallation, installation_id, with_for_update=True)
        client = oauth_client_from_app()
        if row is None or client is None or not needs_refresh(row.credentials or {}):
            return
        try:
            tokens = refresh_credentials(client=client, refresh_token=str(row.credentials.get("refresh_token") or ""),
                                         api_base=(row.settings or {}).get("api_base"))
        except HelpScoutOAuthError as exc:
            if exc.reconnect:
                row.status = RECONNECT_REQUIRED
                s.commit()
                _forget_cached(installation_id)
            raise
        row.credentials = merged_credentials(row.credentials or {}, tokens)
        row.token_expires_at = expiry_of(row.credentials)
        s.commit()
    _forget_cached(installation_id)


def client_for(installation: HelpdeskInstallation) -> HelpScoutHelpdesk:
    if installation.status == RECONNECT_REQUIRED:
        raise HelpdeskError("the Help Scout installation needs an admin to reconnect it", reconnect=True)
    refresh_if_due(installation.id)
    return HelpScoutHelpdesk(helpdesk_config_for(installation))


def mark_reconnect_required(installation_id: int, *, reason: str) -> None:
    from backend.audit import append

    with Session(db.engine()) as s:
        row = s.get(HelpdeskInstallation, installation_id, with_for_update=True)
        if row is not None and row.status != RECONNECT_REQUIRED:
            row.status = RECONNECT_REQUIRED
            row.settings = {**(row.settings or {}), "reconnect_reason": reason[:300]}
            append(s, account_id=row.account_id, event="helpdesk.reconnect_required",
                   actor={"kind": "system", "name": "ChargeDesk"}, subject_type="helpdesk_installation",
                   subject_id=str(row.id), details={"kind": KIND, "reason": reason[:300]})
            s.commit()
    _forget_cached(installation_id)
    log.warning("Help Scout installation %s needs a reconnect: %s", installation_id, reason)


def expiry_of(credentials: dict) -> datetime | None:
    expires_at = credentials.get("expires_at")
    return datetime.fromtimestamp(int(expires_at), timezone.utc) if expires_at else None


def _forget_cached(installation_id: int) -> None:
    current = db.session()
    cached = current.identity_map.get(current.identity_key(HelpdeskInstallation, installation_id))
    if cached is not None:
        current.expire(cached, ["credentials", "token_expires_at", "status", "settings"])

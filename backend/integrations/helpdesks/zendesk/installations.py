"""From a stored HelpdeskInstallation to a live client, and back (refreshed tokens, reconnect).

Refreshed credentials are written in their own short transaction with the installation row
locked, so a rotated refresh token is never lost, whatever the caller's transaction does.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from backend import db
from backend.models import HelpdeskInstallation

from .. import HelpdeskConfig, HelpdeskError, build_helpdesk_client
from .audit_trail import record_event_if_free
from .oauth import ZendeskOAuthError, needs_refresh, oauth_client_from_app, refresh_credentials
from .urls import zendesk_base_url

log = logging.getLogger(__name__)
RECONNECT_REQUIRED = "reconnect_required"


def helpdesk_config_for(installation: HelpdeskInstallation) -> HelpdeskConfig:
    """The client config of an installation (secrets decrypted here, saved back on refresh)."""
    installation_id = installation.id
    return HelpdeskConfig(
        installation_id=installation_id, external_id=installation.external_id,
        credentials=dict(installation.credentials or {}),
        api_base=(installation.settings or {}).get("api_base"),
        settings=dict(installation.settings or {}),
        save_credentials=lambda creds: save_credentials(installation_id, creds),
    )


def save_credentials(installation_id: int, credentials: dict) -> None:
    """Persist (encrypted) a new token pair at once; the old pair no longer works."""
    with Session(db.engine()) as s:
        row = s.get(HelpdeskInstallation, installation_id, with_for_update=True)
        if row is None:
            return
        row.credentials = dict(credentials)
        row.token_expires_at = expiry_of(credentials)
        row.status = "active"
        s.commit()
    _forget_cached(installation_id)


def mark_reconnect_required(installation_id: int, *, reason: str) -> None:
    """The grant was revoked: sidebars stop, and the admin page asks for a reconnect."""
    with Session(db.engine()) as s:
        row = s.get(HelpdeskInstallation, installation_id, with_for_update=True)
        if row is None or row.status == RECONNECT_REQUIRED:
            _forget_cached(installation_id)
            return
        row.status = RECONNECT_REQUIRED
        row.settings = {**(row.settings or {}), "reconnect_reason": reason[:300]}
        record_event_if_free(s, account_id=row.account_id, event="helpdesk.reconnect_required",
                             actor={"kind": "system", "name": "ChargeDesk"}, subject_type="helpdesk_installation",
                             subject_id=row.id, details={"kind": row.kind, "reason": reason[:300]})
        s.commit()
    _forget_cached(installation_id)
    log.warning("helpdesk installation %s needs a reconnect: %s", installation_id, reason)


def _forget_cached(installation_id: int) -> None:
    """The caller's session may hold the row: make it re-read what the side transaction wrote."""
    current = db.session()
    cached = current.identity_map.get(current.identity_key(HelpdeskInstallation, installation_id))
    if cached is not None:
        current.expire(cached, ["credentials", "token_expires_at", "status", "settings"])


def expiry_of(credentials: dict) -> datetime | None:
    expires_at = credentials.get("expires_at")
    return datetime.fromtimestamp(int(expires_at), timezone.utc) if expires_at else None


def refresh_if_due(installation_id: int) -> None:
    """Refresh a Zendesk token close to expiry with the row locked, so concurrent workers
    never spend the same rotating refresh token twice."""
    with Session(db.engine()) as s:
        row = s.get(HelpdeskInstallation, installation_id, with_for_update=True)
        if row is None or row.kind != "zendesk" or not needs_refresh(row.credentials or {}):
            return
        client = oauth_client_from_app()
        if client is None:
            return  # the client reports the missing configuration when it needs a token
        base = zendesk_base_url(row.external_id, api_base=(row.settings or {}).get("api_base"))
        try:
            new = refresh_credentials(base_url=base, client=client,
                                      refresh_token=str(row.credentials.get("refresh_token")))
        except ZendeskOAuthError as exc:
            if exc.reconnect:
                row.status = RECONNECT_REQUIRED
                s.commit()
                _forget_cached(installation_id)
            raise
        row.credentials, row.token_expires_at = new, expiry_of(new)
        s.commit()
    _forget_cached(installation_id)


def client_for(installation: HelpdeskInstallation):
    """A live client for the installation, its token refreshed first when due."""
    if installation.status == RECONNECT_REQUIRED:
        raise HelpdeskError(f"the {installation.kind} installation needs an admin to reconnect it",
                            reconnect=True)
    refresh_if_due(installation.id)
    return build_helpdesk_client(installation.kind, helpdesk_config_for(installation))


def post_private_note(*, installation_id: int, ticket_id: str, body: str, idempotency_key: str | None = None) -> None:
    """Post an internal note; a revoked grant marks the installation reconnect_required.

    HelpdeskError propagates: `.retryable` says whether a job should try again.
    """
    installation = db.session().get(HelpdeskInstallation, installation_id)
    if installation is None:
        raise HelpdeskError(f"helpdesk installation {installation_id} does not exist")
    try:
        client_for(installation).post_private_note(ticket_id=str(ticket_id), body=body,
                                                   idempotency_key=idempotency_key)
    except HelpdeskError as exc:
        if exc.reconnect:
            mark_reconnect_required(installation_id, reason=exc.message)
        raise

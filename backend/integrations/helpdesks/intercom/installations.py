"""Stored Intercom installations: found by workspace id, their API client, the reconnect flag."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import db
from backend.models import HelpdeskInstallation

from .. import HelpdeskConfig, HelpdeskError
from .client import IntercomHelpdesk

log = logging.getLogger(__name__)
KIND = "intercom"
RECONNECT_REQUIRED = "reconnect_required"


def find_installation(session: Session, workspace_id: str) -> HelpdeskInstallation | None:
    """Our installation for a workspace id (the request's `workspace_id`, the installation's external id)."""
    if not workspace_id or len(workspace_id) > 255:
        return None
    return session.scalars(select(HelpdeskInstallation).where(
        HelpdeskInstallation.kind == KIND, HelpdeskInstallation.external_id == workspace_id)).first()


def helpdesk_config_for(installation: HelpdeskInstallation) -> HelpdeskConfig:
    return HelpdeskConfig(installation_id=installation.id, external_id=installation.external_id,
                          credentials=dict(installation.credentials or {}),
                          api_base=(installation.settings or {}).get("api_base"),
                          settings=dict(installation.settings or {}))


def client_for(installation: HelpdeskInstallation) -> IntercomHelpdesk:
    if installation.status == RECONNECT_REQUIRED:
        raise HelpdeskError("the Intercom installation needs an admin to reconnect it", reconnect=True)
    return IntercomHelpdesk(helpdesk_config_for(installation))


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
    current = db.session()
    cached = current.identity_map.get(current.identity_key(HelpdeskInstallation, installation_id))
    if cached is not None:
        current.expire(cached, ["status", "settings"])
    log.warning("Intercom installation %s needs a reconnect: %s", installation_id, reason)

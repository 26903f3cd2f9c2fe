"""The installation of a Canvas Kit request and its teammate's ChargeDesk agent in one round trip.

Initialize runs on every conversation open, so (like Help Scout's dynamic app) the installation (by
the body's workspace id) and the enabled agent linked to the teammate the body names are read in
one statement; the body is trusted only after the signature checked out with that installation's
secret. A teammate we do not know yet is provisioned in a transaction of its own.
"""
from __future__ import annotations

from functools import lru_cache

from flask import request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from backend import db
from backend.auth.principal import Principal
from backend.auth.sidebar_tokens import SidebarClaims, agent_params, agent_statement, principal_from_row
from backend.db import session
from backend.integrations.helpdesks import helpdesk_host
from backend.integrations.helpdesks.host import HostClaims
from backend.models import AgentIdentity, HelpdeskInstallation, User

KIND = "intercom"
PREFIX = "agent_"


@lru_cache(maxsize=1)
def _statement():
    agent = (select(AgentIdentity.installation_id, User.id.label("agent_id"), User.role.label("agent_role"),
                    User.name.label("agent_name"), User.email.label("agent_email"),
                    User.refund_limit_minor.label("agent_refund_limit_minor"))
             .join(User, (User.id == AgentIdentity.user_id) & (User.account_id == AgentIdentity.account_id))
             .where(AgentIdentity.external_user_id == bindparam("admin_id"), User.disabled_at.is_(None))
             .subquery())
    return (select(HelpdeskInstallation.id, HelpdeskInstallation.account_id, HelpdeskInstallation.status,
                   HelpdeskInstallation.credentials, agent.c.agent_id, agent.c.agent_role, agent.c.agent_name,
                   agent.c.agent_email, agent.c.agent_refund_limit_minor)
            .outerjoin(agent, agent.c.installation_id == HelpdeskInstallation.id)
            .where(HelpdeskInstallation.kind == KIND, HelpdeskInstallation.external_id == bindparam("workspace"))
            .limit(1))


def find(workspace_id: str, admin_id: str):
    """(id, account_id, status, credentials, agent_* columns) or None for an unknown workspace."""
    if not workspace_id or len(workspace_id) > 255:
        return None
    return session().connection().execute(_statement(), {"workspace": workspace_id,
                                                          "admin_id": admin_id[:64]}).one_or_none()


def principal(found, claims: HostClaims) -> Principal:
    """The linked agent (read with the installation), else provisioned through the REST API; a
    read-only viewer while they stay unknown. ProvisioningRefused / HelpdeskError pass through."""
    def sidebar(user_id: int) -> SidebarClaims:
        return SidebarClaims(account_id=found.account_id, installation_id=found.id, user_id=user_id, host=KIND,
                             external_user_id=claims.external_user_id)

    if found.agent_id is not None:
        return principal_from_row(sidebar(found.agent_id), found, prefix=PREFIX)
    user_id = _provision(found.id, claims) if claims.external_user_id else None
    if user_id is not None:
        row = session().connection().execute(agent_statement(), agent_params(sidebar(user_id))).one_or_none()
        linked = principal_from_row(sidebar(user_id), row)
        if linked is not None:
            return linked
    return Principal(account_id=found.account_id, role="viewer", kind="sidebar", user_id=None,
                     display_name="Intercom teammate",
                     helpdesk={"kind": KIND, "installation_id": found.id, "external_user_id": claims.external_user_id})


def _provision(installation_id: int, claims: HostClaims) -> int | None:
    from backend.integrations.helpdesks.agents import Source, agent_for_sidebar

    with Session(db.engine()) as s:
        installation = s.get(HelpdeskInstallation, installation_id)
        user = agent_for_sidebar(s, installation, claims, host=helpdesk_host(KIND),
                                 source=Source(via="sidebar", ip=request.remote_addr))
        user_id = user.id if user is not None else None
        s.commit()
    return user_id

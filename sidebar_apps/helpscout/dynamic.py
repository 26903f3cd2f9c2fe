"""POST /sidebar/helpscout/dynamic?app=<id>: the legacy dynamic app.

Help Scout POSTs the conversation's JSON signed with X-HelpScout-Signature (HMAC-SHA1 of the raw
body) and shows the `html` of a JSON 200 answer. So every problem a person can act on is a 200 with
an html message; a bad signature is a 401 with no data. Nothing is stored for a refused request.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from backend.auth.principal import Principal
from backend.auth.sidebar_tokens import SidebarClaims, agent_params, agent_statement, principal_from_row
from backend import db
from backend.db import session
from backend.emails import normalize_email
from backend.integrations.helpdesks import HelpdeskError, helpdesk_host
from backend.integrations.helpdesks.helpscout.host import verify_dynamic_body
from backend.integrations.helpdesks.host import HostClaims, HostVerificationError
from backend.models import AgentIdentity, HelpdeskInstallation, User
from backend.sidebar import ContextQuery, build_context

AGENT_PREFIX = "agent_"

from .action_links import LINKED_ACTIONS, link_signer
from .dynamic_html import render_message, render_summary

log = logging.getLogger(__name__)
KIND = "helpscout"
MAX_BODY_BYTES = 256 * 1024
UNKNOWN_APP = ("ChargeDesk does not know this app. Paste the dynamic app callback URL printed by "
               "`chargedesk helpdesk add helpscout` into the app's settings in Help Scout.")
UNREADABLE = "ChargeDesk could not read Help Scout's request. Reload the conversation."
RECONNECT = "ChargeDesk needs to be reconnected: a Help Scout admin must reconnect Help Scout in ChargeDesk's admin page."
UNAVAILABLE = "ChargeDesk could not reach Help Scout just now. Reload the conversation in a moment."
NO_EMAIL = "This conversation has no customer email to look up."


def html_answer(html: str) -> Response:
    response = jsonify({"html": html})
    response.headers["Cache-Control"] = "no-store"
    return response


def dynamic_app() -> Response:
    from backend.integrations.helpdesks.agents import ProvisioningRefused

    if (request.content_length or 0) > MAX_BODY_BYTES:
        return html_answer(render_message(UNREADABLE))
    body = request.get_data(cache=False)
    db.use_autocommit()  # reads; a first load's provisioning writes in its own transaction
    found = _lookup(request.args.get("app", ""), _unverified_user_id(body))
    if found is None:
        return html_answer(render_message(UNKNOWN_APP))
    try:
        claims, _data = verify_dynamic_body(found, body=body, signature=request.headers.get("X-HelpScout-Signature"))
    except HostVerificationError as exc:
        log.info("helpscout dynamic app refused from %s: %s", request.remote_addr, exc)
        return Response(status=401)
    except ValueError as exc:
        log.info("helpscout dynamic app: unreadable signed body: %s", exc)
        return html_answer(render_message(UNREADABLE))
    if found.status != "active":
        return html_answer(render_message(RECONNECT))
    try:
        principal = _principal(found, claims)
    except ProvisioningRefused as exc:
        return html_answer(render_message(exc.message))
    except HelpdeskError as exc:
        log.warning("helpscout dynamic app: provisioning for installation %s failed: %s", found.id, exc.message)
        if exc.reconnect:
            return html_answer(render_message(RECONNECT))
        if exc.retryable:
            return html_answer(render_message(UNAVAILABLE))
        return html_answer(render_message(f"ChargeDesk could not look up your Help Scout user: {exc.message}."))
    return html_answer(_summary(principal, claims))


def _unverified_user_id(body: bytes) -> str:
    """The user id the body names, to read their link in the same query; trusted only once verified."""
    try:
        user = json.loads(body).get("user")
        return str(user.get("id")) if isinstance(user, dict) else ""
    except (ValueError, AttributeError, UnicodeDecodeError):
        return ""


@lru_cache(maxsize=1)
def _lookup_statement():
    """The installation (by its `app` id) and, in the same round trip, the enabled agent linked to the
    Help Scout user the body names (columns `agent_*`, NULL when there is none)."""
    agent = (select(AgentIdentity.installation_id, User.id.label("agent_id"), User.role.label("agent_role"),
                    User.name.label("agent_name"), User.email.label("agent_email"),
                    User.refund_limit_minor.label("agent_refund_limit_minor"))
             .join(User, (User.id == AgentIdentity.user_id) & (User.account_id == AgentIdentity.account_id))
             .where(AgentIdentity.external_user_id == bindparam("user_id"), User.disabled_at.is_(None))
             .subquery())
    return (select(HelpdeskInstallation.id, HelpdeskInstallation.account_id, HelpdeskInstallation.status,
                   HelpdeskInstallation.credentials, agent.c.agent_id, agent.c.agent_role, agent.c.agent_name,
                   agent.c.agent_email, agent.c.agent_refund_limit_minor)
            .outerjoin(agent, agent.c.installation_id == HelpdeskInstallation.id)
            .where(HelpdeskInstallation.kind == KIND, HelpdeskInstallation.external_id == bindparam("app_id"))
            .limit(1))


def _lookup(app_id: str, user_id: str):
    if not app_id or len(app_id) > 255:
        return None
    return session().connection().execute(_lookup_statement(),
                                          {"app_id": app_id, "user_id": user_id[:64]}).one_or_none()


def _principal(found, claims: HostClaims) -> Principal:
    """The linked agent (read with the installation), else provisioned through the Mailbox API in its
    own transaction; a read-only viewer when they stay unknown."""
    sidebar_claims = lambda user_id: SidebarClaims(  # noqa: E731
        account_id=found.account_id, installation_id=found.id, user_id=user_id, host=KIND,
        external_user_id=claims.external_user_id)
    if found.agent_id is not None:
        return principal_from_row(sidebar_claims(found.agent_id), found, prefix=AGENT_PREFIX)
    user_id = _provision(found.id, claims) if claims.external_user_id else None
    if user_id is None:
        return read_only_principal(found, claims)
    row = session().connection().execute(agent_statement(), agent_params(sidebar_claims(user_id))).one_or_none()
    return principal_from_row(sidebar_claims(user_id), row) or read_only_principal(found, claims)


def _provision(installation_id: int, claims: HostClaims) -> int | None:
    from backend.integrations.helpdesks.agents import Source, agent_for_sidebar

    with Session(db.engine()) as s:
        installation = s.get(HelpdeskInstallation, installation_id)
        user = agent_for_sidebar(s, installation, claims, host=helpdesk_host(KIND),
                                 source=Source(via="sidebar", ip=request.remote_addr))
        user_id = user.id if user is not None else None
        s.commit()
    return user_id


def read_only_principal(installation, claims: HostClaims) -> Principal:
    return Principal(account_id=installation.account_id, role="viewer", kind="sidebar", user_id=None,
                     display_name="Help Scout user", helpdesk={"kind": KIND, "installation_id": installation.id,
                                                               "external_user_id": claims.external_user_id})


def _summary(principal: Principal, claims: HostClaims) -> str:
    emails = tuple(dict.fromkeys(e for e in map(normalize_email, claims.requester_emails) if e))
    if not emails:
        return render_message(NO_EMAIL)
    view = build_context(session(), principal, ContextQuery(emails=emails, ticket=claims.ticket_id))
    return render_summary(view, link=_linker(principal, claims), read_only=not principal.can_act, emails=emails)


def _linker(principal: Principal, claims: HostClaims):
    if not principal.can_act or principal.user_id is None:
        return lambda kind, target_type, target_id: None
    confirm = url_for("helpscout_sidebar.confirm_action", _external=True)  # opened in a new tab
    sign = link_signer(account_id=principal.account_id, installation_id=claims.installation_id,
                       user_id=principal.user_id, external_user_id=claims.external_user_id,
                       ticket_id=claims.ticket_id, secret_key=current_app.config["SECRET_KEY"])

    def link(kind: str, target_type: str, target_id: int) -> str | None:
        if kind not in LINKED_ACTIONS.get(target_type, ()):
            return None
        return f"{confirm}?t={sign(kind, target_type, int(target_id))}"

    return link

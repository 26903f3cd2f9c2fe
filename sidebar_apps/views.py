"""GET/POST /sidebar/<kind>: the one view that opens the sidebar for any registered helpdesk host.

Verify the host's signature (the host's own scheme) -> the agent (provisioned through the host's
API on first open) -> a short-lived sidebar token in the page -> the shell. A helpdesk user we
cannot link (no API access) gets a read-only token: the billing summary, no actions, until an
admin links them. No cookies: the page is a cross-site iframe, so it carries its token instead. Every refusal
is a small page that echoes nothing from the request.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, render_template_string, request

from backend.auth.sidebar_tokens import VIEWER_ROLE, SidebarClaims, mint_sidebar_token
from backend.db import session, transaction
from backend.integrations.helpdesks import HelpdeskError, helpdesk_host, helpdesk_names
from backend.integrations.helpdesks.agents import ProvisioningRefused, Source, agent_for_sidebar
from backend.integrations.helpdesks.host import HelpdeskHost, HostClaims, HostVerificationError, SidebarLoad
from backend.models import HelpdeskInstallation, User

from .shell import render_shell

log = logging.getLogger(__name__)
bp = Blueprint("helpdesk_sidebar", __name__)
MAX_LOAD_BYTES = 64 * 1024
READ_ONLY_AGENT = {"name": "", "role": VIEWER_ROLE, "linked": False}
PAGE = """<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>ChargeDesk</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:12px;color:#2f3941}
h1{font-size:15px;margin:0 0 6px}p{margin:0;color:#68737d}</style>
<h1>{{ title }}</h1><p>{{ message }}</p></html>"""


def page(status: int, title: str, message: str, host: HelpdeskHost | None = None) -> Response:
    """A small readable page; nothing from the request is echoed into it. A known host may frame it
    (its own frame-ancestors), so the agent reads the message inside the helpdesk, not a blocked frame."""
    response = Response(render_template_string(PAGE, title=title, message=message), status=status,
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    if host is not None:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors 'self' {host.sidebar_assets().frame_ancestors}")
    return response


def not_verified(host: HelpdeskHost) -> Response:
    label = host.label
    return page(401, "ChargeDesk could not verify this request",
                f"Open ChargeDesk from a ticket in {label}. If this keeps happening, ask your administrator "
                f"to check the {label} app settings (app installation id and public key, or secret key) "
                "in ChargeDesk's admin page.", host)


def reconnect(host: HelpdeskHost) -> Response:
    return page(403, "ChargeDesk needs to be reconnected",
                f"A {host.label} admin must sign in to ChargeDesk's admin page and reconnect {host.label}.", host)


@bp.route("/sidebar/<kind>", methods=["GET", "POST"])
def open_sidebar(kind: str) -> Response:
    if kind not in helpdesk_names():
        return page(404, "No such helpdesk", "ChargeDesk has no sidebar for this helpdesk.")
    host = helpdesk_host(kind)
    installation, claims = _verified(host)
    if installation is None:
        return not_verified(host)
    if installation.status != "active":
        return reconnect(host)
    try:
        user = _agent(host, installation, claims)
    except ProvisioningRefused as exc:
        return page(exc.status, "ChargeDesk is not available to you", exc.message, host)
    except HelpdeskError as exc:
        return _helpdesk_failure(host, installation, exc)
    token = mint_sidebar_token(SidebarClaims(
        account_id=installation.account_id, installation_id=installation.id,
        user_id=user.id if user is not None else None, host=kind, external_user_id=claims.external_user_id))
    agent = (READ_ONLY_AGENT if user is None else {"name": user.name or user.email, "role": user.role})
    response = render_shell(host=kind, token=token, agent=agent, location=claims.location)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _verified(host: HelpdeskHost) -> tuple[HelpdeskInstallation | None, HostClaims | None]:
    """(installation, claims) for a load the host vouches for, else (None, None); reasons go to the log."""
    if (request.content_length or 0) > MAX_LOAD_BYTES:
        log.info("%s sidebar refused from %s: oversized load", host.kind, request.remote_addr)
        return None, None
    load = SidebarLoad(method=request.method, args=request.args.to_dict(), form=request.form.to_dict(),
                       headers=dict(request.headers), body=request.get_data(cache=True))
    try:
        claims = host.verify_sidebar_load(session(), load)
    except HostVerificationError as exc:
        log.info("%s sidebar refused from %s: %s", host.kind, request.remote_addr, exc)
        return None, None
    installation = session().get(HelpdeskInstallation, claims.installation_id)
    if installation is None or installation.kind != host.kind:
        log.info("%s sidebar refused: installation %s is not one of its own", host.kind, claims.installation_id)
        return None, None
    return installation, claims


def _agent(host: HelpdeskHost, installation: HelpdeskInstallation, claims: HostClaims) -> User | None:
    with transaction() as s:
        return agent_for_sidebar(s, installation, claims, host=host,
                                 source=Source(via="sidebar", ip=request.remote_addr))


def _helpdesk_failure(host: HelpdeskHost, installation: HelpdeskInstallation, exc: HelpdeskError) -> Response:
    """The host marked a revoked grant already (api_for); we only choose the page."""
    log.warning("%s sidebar: provisioning for installation %s failed: %s", host.kind, installation.id, exc.message)
    if exc.reconnect:
        return reconnect(host)
    return page(503 if exc.retryable else 502, f"{host.label} is not answering",
                f"ChargeDesk could not reach {host.label} just now. Reload the ticket in a moment.", host)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

"""POST /sidebar/zendesk: Zendesk loads the app here with a signed-URL JWT (form field `token`).

Verify the JWT against the installation's app public key -> the agent (provisioned from Zendesk
on first open) -> a short-lived sidebar token in the page. No cookies: the page is a cross-site
iframe, so it carries its token instead. Every refusal is a small page that echoes nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, render_template_string, request

from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token
from backend.db import session, transaction
from backend.integrations.helpdesks import HelpdeskError
from backend.integrations.helpdesks.zendesk.installations import client_for, mark_reconnect_required
from backend.integrations.helpdesks.zendesk.jwt import ZafTokenError, unverified_subdomain, verify_zendesk_jwt
from backend.integrations.helpdesks.zendesk.onboarding import find_installation
from backend.integrations.helpdesks.zendesk.provisioning import ProvisioningRefused, Source, agent_for_sidebar
from backend.models import HelpdeskInstallation, User
from sidebar_apps.shell import render_shell

log = logging.getLogger(__name__)
bp = Blueprint("zendesk_sidebar", __name__)

NOT_VERIFIED = ("ChargeDesk could not verify this request",
                "Open ChargeDesk from a ticket in Zendesk. If this keeps happening, ask your "
                "administrator to check the app installation id and public key in ChargeDesk's admin page.")
RECONNECT = ("ChargeDesk needs to be reconnected",
             "A Zendesk admin must sign in to ChargeDesk's admin page and reconnect Zendesk.")
UNAVAILABLE = ("Zendesk is not answering",
               "ChargeDesk could not reach Zendesk just now. Reload the ticket in a moment.")
PAGE = """<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>ChargeDesk</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:12px;color:#2f3941}
h1{font-size:15px;margin:0 0 6px}p{margin:0;color:#68737d}</style>
<h1>{{ title }}</h1><p>{{ message }}</p></html>"""


def page(status: int, title: str, message: str) -> Response:
    """A small readable page; nothing from the request is echoed into it."""
    response = Response(render_template_string(PAGE, title=title, message=message), status=status,
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sidebar/zendesk")
def open_sidebar() -> Response:
    installation, claims = _verified(request.form.get("token", ""))
    if installation is None:
        return page(401, *NOT_VERIFIED)
    if installation.status != "active":
        return page(403, *RECONNECT)
    try:
        user = _agent(installation, claims.user_id)
    except ProvisioningRefused as exc:
        return page(exc.status, "ChargeDesk is not available to you", exc.message)
    except HelpdeskError as exc:
        return _helpdesk_failure(installation, exc)
    token = mint_sidebar_token(SidebarClaims(
        account_id=installation.account_id, installation_id=installation.id, user_id=user.id,
        host="zendesk", external_user_id=claims.user_id))
    agent = {"name": user.name or user.email, "role": user.role}
    response = render_shell(host="zendesk", token=token, agent=agent, location=claims.location)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.get("/sidebar/zendesk")
def unsigned_sidebar() -> Response:
    """Zendesk always POSTs signed URLs; a GET is someone opening the URL by hand."""
    return page(401, *NOT_VERIFIED)


def _verified(token: str):
    """(installation, claims) for a valid token, else (None, None); the reason goes to the log only."""
    try:
        subdomain = unverified_subdomain(token)
        installation = find_installation(session(), subdomain)
        if installation is None:
            raise ZafTokenError("no installation for this subdomain")
        settings = installation.settings or {}
        claims = verify_zendesk_jwt(token, subdomain=subdomain,
                                    app_installation_id=str(settings.get("app_installation_id") or ""),
                                    public_key_pem=str(settings.get("public_key_pem") or ""))
    except ZafTokenError as exc:
        log.info("zendesk sidebar refused from %s: %s", request.remote_addr, exc)
        return None, None
    return installation, claims


def _agent(installation: HelpdeskInstallation, zendesk_user_id: str) -> User:
    with transaction() as s:
        return agent_for_sidebar(s, installation, zendesk_user_id,
                                 fetch_user=lambda uid: client_for(installation).get_user(uid),
                                 source=Source(via="sidebar", ip=request.remote_addr))


def _helpdesk_failure(installation: HelpdeskInstallation, exc: HelpdeskError) -> Response:
    log.warning("zendesk sidebar: provisioning for installation %s failed: %s", installation.id, exc.message)
    if exc.reconnect:
        mark_reconnect_required(installation.id, reason=exc.message)
        return page(403, *RECONNECT)
    return page(503 if exc.retryable else 502, *UNAVAILABLE)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

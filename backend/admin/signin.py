"""Sign-in through Zendesk OAuth: subdomain -> Zendesk consent (state + PKCE) -> callback.

The callback exchanges the code, asks Zendesk who signed in (users/me) and lets onboarding decide:
a new account (Zendesk admin, new subdomain), the existing account, or a clear refusal.
"""
from __future__ import annotations

import hmac
import time

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for

from backend.db import session as db_session, transaction
from backend.integrations.helpdesks import HelpdeskConfig, HelpdeskError
from backend.integrations.helpdesks.zendesk.client import ZendeskHelpdesk
from backend.integrations.helpdesks.zendesk.oauth import (
    OAuthClientConfig, client_config_from, exchange_code, start_authorization,
)
from backend.integrations.helpdesks.zendesk.onboarding import find_installation, sign_in
from backend.integrations.helpdesks.zendesk.provisioning import ProvisioningRefused, Source
from backend.integrations.helpdesks.zendesk.urls import (
    SubdomainError, base_url_template, is_default_base, normalize_subdomain, zendesk_base_url,
)

from .auth import end_session, start_session
from .pages import message_page

PENDING_KEY = "zendesk_oauth"
PENDING_MAX_AGE_SECONDS = 600


def register_sign_in_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/sign-in", "sign_in", sign_in_form, methods=["GET"])
    bp.add_url_rule("/sign-in", "sign_in_start", sign_in_start, methods=["POST"])
    bp.add_url_rule("/oauth/zendesk/callback", "zendesk_callback", zendesk_callback, methods=["GET"])
    bp.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])


def sign_in_form(error: str | None = None, subdomain: str = "", status: int = 200) -> Response:
    html = render_template("admin/sign_in.html", error=error, subdomain=subdomain,
                           configured=_oauth_client() is not None)
    return Response(html, status=status, mimetype="text/html")


def sign_in_start() -> Response:
    try:
        subdomain = normalize_subdomain(request.form.get("subdomain"))
    except SubdomainError as exc:
        return sign_in_form(error=str(exc), subdomain="", status=400)
    return begin_oauth(subdomain)


def begin_oauth(subdomain: str) -> Response:
    """Remember state + PKCE verifier in the session and send the browser to Zendesk."""
    client = _oauth_client()
    if client is None:
        return message_page(503, "Zendesk sign-in is not configured",
                            "Set CHARGEDESK_ZENDESK_CLIENT_ID and CHARGEDESK_ZENDESK_CLIENT_SECRET.")
    try:
        base_url = _base_url_for(subdomain)
    except SubdomainError as exc:  # a misconfigured CHARGEDESK_ZENDESK_BASE_URL
        return message_page(503, "Zendesk sign-in is misconfigured", str(exc))
    start = start_authorization(base_url=base_url, client=client, redirect_uri=_redirect_uri())
    session[PENDING_KEY] = {"state": start.state, "verifier": start.code_verifier, "subdomain": subdomain,
                            "base_url": base_url, "started": int(time.time())}
    return redirect(start.url)


def zendesk_callback() -> Response:
    pending = session.pop(PENDING_KEY, None)
    state = request.args.get("state", "")
    if not pending or not state or not hmac.compare_digest(state.encode(), pending["state"].encode()):
        return _restart(400, "This sign-in link is not valid",
                        "It expired, was already used, or was started in another browser.")
    if time.time() - pending["started"] > PENDING_MAX_AGE_SECONDS:
        return _restart(400, "This sign-in took too long", "Start again and approve within a few minutes.")
    if request.args.get("error") or not request.args.get("code"):
        return _restart(403, "Zendesk sign-in was not approved", "Nothing was changed.")
    try:
        return _finish(pending, request.args["code"])
    except ProvisioningRefused as exc:
        return _restart(exc.status, "You cannot sign in to ChargeDesk", exc.message)
    except HelpdeskError as exc:
        current_app.logger.warning("zendesk sign-in failed: %s", exc.message)
        status = 503 if exc.retryable else 400
        return _restart(status, "Zendesk did not complete the sign-in",
                        "Zendesk is not answering; try again in a moment." if exc.retryable
                        else "Zendesk refused the sign-in. Start again.")


def _finish(pending: dict, code: str) -> Response:
    client, subdomain, base_url = _oauth_client(), pending["subdomain"], pending["base_url"]
    credentials = exchange_code(base_url=base_url, client=client, redirect_uri=_redirect_uri(), code=code,
                                code_verifier=pending["verifier"])
    me = ZendeskHelpdesk(HelpdeskConfig(installation_id=0, external_id=subdomain, credentials=credentials,
                                        api_base=base_url), oauth_client=client).current_user()
    api_base = None if is_default_base(subdomain, base_url) else base_url
    with transaction() as s:
        result = sign_in(s, subdomain=subdomain, me=me, credentials=credentials, api_base=api_base,
                         source=Source(via="oauth", ip=request.remote_addr))
    start_session(account_id=result.account_id, user_id=result.user_id)
    return redirect(url_for("admin.dashboard"))


def sign_out() -> Response:
    end_session()
    return redirect(url_for("admin.sign_in"))


def _restart(status: int, title: str, message: str) -> Response:
    return message_page(status, title, message, retry_url=url_for("admin.sign_in"))


def _oauth_client() -> OAuthClientConfig | None:
    return client_config_from(current_app.config["SETTINGS"].extra)


def _redirect_uri() -> str:
    return current_app.config["SETTINGS"].base_url + url_for("admin.zendesk_callback")


def _base_url_for(subdomain: str) -> str:
    """An installation's own api_base (demo, emulator) wins over CHARGEDESK_ZENDESK_BASE_URL."""
    installation = find_installation(db_session(), subdomain)
    api_base = (installation.settings or {}).get("api_base") if installation else None
    return zendesk_base_url(subdomain, api_base=api_base,
                            template=base_url_template(current_app.config["SETTINGS"].extra))

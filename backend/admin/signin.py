"""Sign-in through any registered helpdesk's OAuth: (sign-in field) -> consent (state + PKCE) -> callback.

The callback exchanges the code through the host, asks it who signed in ("who am I") and lets the
generic onboarding decide: a new account (a helpdesk admin of an unknown helpdesk account), the
existing account, or a clear refusal. Routes are per kind (`/admin/sign-in/<kind>`,
`/admin/oauth/<kind>/callback`); POST /admin/sign-in stays for forms that name no kind and
picks the host whose sign-in field they filled.
"""
from __future__ import annotations

import hmac
import time

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for

from backend.db import session as db_session, transaction
from backend.integrations.helpdesks import HelpdeskConfig, HelpdeskError, helpdesk_host, helpdesk_names
from backend.integrations.helpdesks.agents import ProvisioningRefused, Source
from backend.integrations.helpdesks.host import HelpdeskHost, HostSetupError, OAuthStart
from backend.integrations.helpdesks.onboarding import Grant, sign_in

from .auth import end_session, start_session
from .pages import message_page

PENDING_MAX_AGE_SECONDS = 600


def register_sign_in_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/sign-in", "sign_in", sign_in_form, methods=["GET"])
    bp.add_url_rule("/sign-in", "sign_in_start", sign_in_start, methods=["POST"])
    bp.add_url_rule("/sign-in/<kind>", "sign_in_with", sign_in_with_form, methods=["GET"])
    bp.add_url_rule("/sign-in/<kind>", "sign_in_with_start", sign_in_with_start, methods=["POST"])
    bp.add_url_rule("/oauth/<kind>/callback", "oauth_callback", oauth_callback, methods=["GET"])
    bp.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])


def pending_key(kind: str) -> str:
    """The session key of a sign-in under way (one per kind)."""
    return f"{kind}_oauth"


def sign_in_form(error: str | None = None, values: dict | None = None, status: int = 200,
                 kinds: tuple[str, ...] | None = None) -> Response:
    hosts = [helpdesk_host(kind) for kind in (kinds or helpdesk_names())]
    html = render_template("admin/sign_in.html", error=error, values=values or {}, hosts=hosts)
    return Response(html, status=status, mimetype="text/html")


def sign_in_with_form(kind: str) -> Response:
    if kind not in helpdesk_names():
        return _unknown_kind()
    return sign_in_form(kinds=(kind,))


def sign_in_start() -> Response:
    """A form naming no kind: the host whose sign-in field it filled (else the form's `kind`)."""
    kind = request.form.get("kind") or next(
        (k for k in helpdesk_names() if (field := helpdesk_host(k).sign_in_field) and field.name in request.form), "")
    if kind not in helpdesk_names():
        return sign_in_form(error="Choose the helpdesk to sign in with.", status=400)
    return sign_in_with_start(kind)


def sign_in_with_start(kind: str) -> Response:
    if kind not in helpdesk_names():
        return _unknown_kind()
    host = helpdesk_host(kind)
    field = host.sign_in_field
    try:
        external_id = host.normalize_external_id(request.form.get(field.name, "")) if field else ""
    except HostSetupError as exc:
        return sign_in_form(error=str(exc), status=400, kinds=(kind,))
    return begin_oauth(kind, external_id)


def begin_oauth(kind: str, external_id: str) -> Response:
    """Remember state + PKCE verifier in the session and send the browser to the helpdesk."""
    host = helpdesk_host(kind)
    if not host.oauth_configured():
        return message_page(503, f"{host.label} sign-in is not configured",
                            f"The server's operator must configure ChargeDesk's {host.label} OAuth client "
                            f"(CHARGEDESK_{kind.upper()}_CLIENT_ID and CHARGEDESK_{kind.upper()}_CLIENT_SECRET).")
    try:
        start = host.start_oauth(db_session(), external_id=external_id, redirect_uri=_redirect_uri(kind))
    except HelpdeskError as exc:  # misconfigured base URL and the like
        return message_page(503, f"{host.label} sign-in is misconfigured", exc.message)
    session[pending_key(kind)] = {"state": start.state, "verifier": start.code_verifier,
                                  "external_id": start.external_id, "base_url": start.api_base,
                                  "started": int(time.time())}
    return redirect(start.url)


def oauth_callback(kind: str) -> Response:
    if kind not in helpdesk_names():
        return _unknown_kind()
    host = helpdesk_host(kind)
    pending = session.pop(pending_key(kind), None)
    state = request.args.get("state", "")
    if not pending or not state or not hmac.compare_digest(state.encode(), str(pending["state"]).encode()):
        return _restart(400, "This sign-in link is not valid",
                        "It expired, was already used, or was started in another browser.")
    if time.time() - pending["started"] > PENDING_MAX_AGE_SECONDS:
        return _restart(400, "This sign-in took too long", "Start again and approve within a few minutes.")
    if request.args.get("error") or not request.args.get("code"):
        return _restart(403, f"{host.label} sign-in was not approved", "Nothing was changed.")
    try:
        return _finish(host, pending, request.args["code"])
    except ProvisioningRefused as exc:
        return _restart(exc.status, "You cannot sign in to ChargeDesk", exc.message)
    except HelpdeskError as exc:
        current_app.logger.warning("%s sign-in failed: %s", kind, exc.message)
        status = 503 if exc.retryable else 400
        return _restart(status, f"{host.label} did not complete the sign-in",
                        f"{host.label} is not answering; try again in a moment." if exc.retryable
                        else f"{host.label} refused the sign-in. Start again.")


def _finish(host: HelpdeskHost, pending: dict, code: str) -> Response:
    start = OAuthStart(url="", state=pending["state"], code_verifier=pending["verifier"],
                       external_id=pending["external_id"], api_base=pending.get("base_url"))
    redirect_uri = _redirect_uri(host.kind)
    credentials = host.exchange_code(start=start, code=code, redirect_uri=redirect_uri)
    me = host.api(HelpdeskConfig(installation_id=0, external_id=start.external_id, credentials=credentials,
                                 api_base=start.api_base)).current_user()
    grant = Grant(external_id=start.external_id, me=me, credentials=credentials, api_base=start.api_base)
    with transaction() as s:
        result = sign_in(s, host=host, grant=grant, source=Source(via="oauth", ip=request.remote_addr))
    start_session(account_id=result.account_id, user_id=result.user_id)
    return redirect(url_for("admin.dashboard"))


def sign_out() -> Response:
    end_session()
    return redirect(url_for("admin.sign_in"))


def _unknown_kind() -> Response:
    return message_page(404, "No such helpdesk", "ChargeDesk cannot sign you in with this helpdesk.",
                        retry_url=url_for("admin.sign_in"))


def _restart(status: int, title: str, message: str) -> Response:
    return message_page(status, title, message, retry_url=url_for("admin.sign_in"))


def _redirect_uri(kind: str) -> str:
    return current_app.config["SETTINGS"].base_url + url_for("admin.oauth_callback", kind=kind)

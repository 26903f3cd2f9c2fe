"""Help Scout OAuth on loopback: the authorize page, the code grant, refresh grants, 2-day tokens.

Docs: https://developer.helpscout.com/mailbox-api/overview/authentication/
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, render_template_string, request

from .shapes import oauth_error
from .state import CODE_LIFETIME_SECONDS, EmulatorState, Grant, OAuthApp, emulator_state

AUTHORIZE_PATH = "/authentication/authorizeClientApplication"
TOKEN_PATH = "/v2/oauth2/token"
CONSENT_PAGE = """<!doctype html><meta charset=utf-8><title>Help Scout - Authorize</title>
<h1>Authorize {{ client_id }} to access your Help Scout account?</h1>
<form method=post action="{{ action }}">
<input type=hidden name="client_id" value="{{ client_id }}"><input type=hidden name="state" value="{{ state }}">
<label>Signed in as <select name=user_id>{% for u in users %}
<option value="{{ u.id }}">{{ u.first_name }} {{ u.last_name }} &lt;{{ u.email }}&gt; ({{ u.role }})</option>{% endfor %}
</select></label>
<button name=decision value=allow>Authorize</button> <button name=decision value=deny>Cancel</button>
</form>"""


def register_oauth_routes(app: Flask) -> None:
    app.add_url_rule(AUTHORIZE_PATH, view_func=authorize, methods=["GET"])
    app.add_url_rule(AUTHORIZE_PATH, view_func=consent, methods=["POST"])
    app.add_url_rule(TOKEN_PATH, view_func=token, methods=["POST"])


def _redirect_with(uri: str, **params) -> Response:
    joiner = "&" if "?" in uri else "?"
    return redirect(uri + joiner + urlencode({k: v for k, v in params.items() if v}))


def authorize():
    """GET: the consent page for a known client id."""
    state = emulator_state()
    client_id = request.args.get("client_id", "")
    with state.lock:
        known = client_id in state.apps
        users = [u for u in state.users.values() if u.active]
    if not known:
        return Response("Unknown client_id: this application is not registered.", status=400, mimetype="text/plain")
    return render_template_string(CONSENT_PAGE, client_id=client_id, state=request.args.get("state", ""),
                                  users=users, action=AUTHORIZE_PATH)


def consent():
    """POST: the user's decision; the redirect URL is the app's registered one."""
    state = emulator_state()
    with state.lock:
        app = state.apps.get(request.form.get("client_id", ""))
        user = state.users.get(int(request.form.get("user_id") or 0))
        if app is None or user is None:
            return Response("Unknown client or user", status=400, mimetype="text/plain")
        if request.form.get("decision") != "allow":
            return _redirect_with(app.redirect_uri, error="access_denied", state=request.form.get("state"))
        grant = Grant(code=secrets.token_urlsafe(24), client_id=app.client_id, user_id=user.id, issued_at=state.now())
        state.grants[grant.code] = grant
    return _redirect_with(app.redirect_uri, code=grant.code, state=request.form.get("state"))


def token():
    """POST /v2/oauth2/token: JSON, form or query parameters are all accepted."""
    state = emulator_state()
    body = request.get_json(silent=True) if request.is_json else None
    body = body if isinstance(body, dict) else {**request.args.to_dict(), **request.form.to_dict()}
    with state.lock:
        state.token_requests.append(dict(body))
        app, error = _authenticate(state, body)
        if error:
            return error
        grant_type = body.get("grant_type")
        if grant_type == "authorization_code":
            return _exchange(state, app, body)
        if grant_type == "refresh_token":
            return _refresh(state, app, body)
    return jsonify(oauth_error("unsupported_grant_type", "Unsupported grant type")), 400


def _authenticate(state: EmulatorState, body: dict):
    client_id, secret = body.get("client_id", ""), body.get("client_secret", "")
    if request.authorization and request.authorization.type == "basic":
        client_id, secret = request.authorization.username or "", request.authorization.password or ""
    app = state.apps.get(client_id)
    if app is None or not hmac.compare_digest(app.client_secret, secret or ""):
        return None, (jsonify(oauth_error("invalid_client", "Bad client credentials")), 401)
    return app, None


def _exchange(state: EmulatorState, app: OAuthApp, body: dict):
    grant = state.grants.get(body.get("code", ""))
    if grant is None or grant.used or grant.client_id != app.client_id:
        return jsonify(oauth_error("invalid_grant", "Invalid authorization code")), 400
    grant.used = True
    if state.now() - grant.issued_at > CODE_LIFETIME_SECONDS:
        return jsonify(oauth_error("invalid_grant", "Authorization code expired")), 400
    user = state.users.get(grant.user_id)
    if user is None or not user.active:
        return jsonify(oauth_error("invalid_grant", "The user is not active")), 400
    return jsonify(_token_body(state.issue_tokens(app, grant.user_id), app))


def _refresh(state: EmulatorState, app: OAuthApp, body: dict):
    old = state.pair_for_refresh(body.get("refresh_token", ""))
    if old is None or old.client_id != app.client_id:
        return jsonify(oauth_error("invalid_grant", "Invalid refresh token")), 400
    old.revoked = True  # the new pair replaces the old one
    return jsonify(_token_body(state.issue_tokens(app, old.user_id), app))


def _token_body(pair, app: OAuthApp) -> dict:
    return {"token_type": "bearer", "access_token": pair.access_token, "refresh_token": pair.refresh_token,
            "expires_in": app.access_ttl}

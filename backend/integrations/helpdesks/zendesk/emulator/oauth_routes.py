"""Zendesk OAuth on loopback: the consent page, the code grant with PKCE, rotating refresh tokens.

Docs: https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, render_template_string, request

from .shapes import oauth_error
from .state import CODE_LIFETIME_SECONDS, EmulatorState, Grant, OAuthClient, emulator_state

CONSENT_PAGE = """<!doctype html><meta charset=utf-8><title>Zendesk - Allow access</title>
<h1>Allow ChargeDesk to access {{ subdomain }}.zendesk.com?</h1>
<form method=post action="{{ action }}">
{% for name, value in params.items() %}<input type=hidden name="{{ name }}" value="{{ value }}">{% endfor %}
<label>Signed in as <select name=user_id>{% for u in users %}
<option value="{{ u.id }}">{{ u.name }} &lt;{{ u.email }}&gt; ({{ u.role }})</option>{% endfor %}
</select></label>
<button name=decision value=allow>Allow</button> <button name=decision value=deny>Deny</button>
</form>"""
INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication included, "
                  "or unsupported authentication method.")
CONSENT_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                  "code_challenge_method")


def s256(verifier: str) -> str:
    """RFC 7636 S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _redirect_with(uri: str, **params) -> Response:
    joiner = "&" if "?" in uri else "?"
    return redirect(uri + joiner + urlencode({k: v for k, v in params.items() if v is not None}))


def _client_problem(state: EmulatorState, params) -> str | None:
    client = state.clients.get(params.get("client_id", ""))
    if client is None:
        return "Invalid OAuth client: the client_id is not registered for this account."
    uri = params.get("redirect_uri", "")
    if not uri or (client.redirect_uris and uri not in client.redirect_uris):
        return "The redirect_uri does not match a redirect URL of this OAuth client."
    return None


def register_oauth_routes(app: Flask) -> None:
    """Bind the authorization page, the consent form, the token and revocation endpoints."""
    app.add_url_rule("/<subdomain>/oauth/authorizations/new", view_func=authorize, methods=["GET"])
    app.add_url_rule("/<subdomain>/oauth/authorizations", view_func=consent, methods=["POST"])
    app.add_url_rule("/<subdomain>/oauth/tokens", view_func=tokens, methods=["POST"])
    app.add_url_rule("/<subdomain>/api/v2/oauth/tokens/current.json", view_func=revoke_current,
                     methods=["DELETE"])


def authorize(subdomain: str):
    """GET /oauth/authorizations/new: the consent page (or a redirect with an OAuth error)."""
    state, params = emulator_state(), {k: request.args.get(k, "") for k in CONSENT_FIELDS}
    with state.lock:
        problem = _client_problem(state, params)
        users = [u for (sub, _), u in state.users.items() if sub == subdomain and u.role != "end-user"]
    if problem:
        return Response(problem, status=400, mimetype="text/plain")
    if params["response_type"] != "code":
        return _redirect_with(params["redirect_uri"], error="unsupported_response_type",
                              state=params["state"] or None)
    if params["code_challenge"] and params["code_challenge_method"] != "S256":
        return _redirect_with(params["redirect_uri"], error="invalid_request", state=params["state"] or None,
                              error_description="code_challenge_method must be S256")
    return render_template_string(CONSENT_PAGE, subdomain=subdomain, params=params, users=users,
                                  action=f"/{subdomain}/oauth/authorizations")


def consent(subdomain: str):
    """The user's answer: a code bound to client, redirect URI, user and PKCE challenge."""
    state, params = emulator_state(), {k: request.form.get(k, "") for k in CONSENT_FIELDS}
    with state.lock:
        problem = _client_problem(state, params)
        user = state.users.get((subdomain, int(request.form.get("user_id") or 0)))
        if problem or user is None:
            return Response(problem or "Unknown user", status=400, mimetype="text/plain")
        if request.form.get("decision") != "allow":
            return _redirect_with(params["redirect_uri"], error="access_denied", state=params["state"] or None,
                                  error_description="The end-user or authorization server denied the request.")
        grant = Grant(code=secrets.token_urlsafe(32), subdomain=subdomain, client_id=params["client_id"],
                      redirect_uri=params["redirect_uri"], user_id=user.id, scope=params["scope"] or "read",
                      code_challenge=params["code_challenge"] or None, issued_at=state.now())
        state.grants[grant.code] = grant
    return _redirect_with(grant.redirect_uri, code=grant.code, state=params["state"] or None)


def tokens(subdomain: str):
    """POST /oauth/tokens (JSON or form): authorization_code or refresh_token."""
    state = emulator_state()
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    body = body if isinstance(body, dict) else {}
    with state.lock:
        state.token_requests.append(dict(body, _subdomain=subdomain))
        client, error = _authenticate_client(state, body)
        if error:
            return error
        if body.get("grant_type") == "authorization_code":
            return _exchange_code(state, subdomain, client, body)
        if body.get("grant_type") == "refresh_token":
            return _rotate(state, subdomain, client, body)
    return jsonify(oauth_error("unsupported_grant_type",
                               "The authorization grant type is not supported by the authorization server.")), 400


def revoke_current(subdomain: str):
    """DELETE /api/v2/oauth/tokens/current.json: revoke the token making the call."""
    state = emulator_state()
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    with state.lock:
        pair = state.pair_for_access(subdomain, token)
        if pair is None:
            return jsonify(oauth_error("invalid_token", "The access token provided is invalid.")), 401
        pair.revoked = True
    return Response(status=204)


def _authenticate_client(state: EmulatorState, body: dict):
    client_id, secret = body.get("client_id", ""), body.get("client_secret", "")
    if request.authorization and request.authorization.type == "basic":
        client_id, secret = request.authorization.username or "", request.authorization.password or ""
    client = state.clients.get(client_id)
    if client is None or not hmac.compare_digest(client.client_secret, secret or ""):
        return None, (jsonify(oauth_error("invalid_client", INVALID_CLIENT)), 401)
    return client, None


def _invalid_grant(description: str):
    return jsonify(oauth_error("invalid_grant", description)), 400


def _exchange_code(state: EmulatorState, subdomain: str, client: OAuthClient, body: dict):
    grant = state.grants.get(body.get("code", ""))
    if grant is None or grant.subdomain != subdomain or grant.client_id != client.client_id or grant.used:
        return _invalid_grant("The provided authorization grant is invalid, expired, or revoked, "
                              "or was issued to another client.")
    grant.used = True  # single use, whatever happens next
    if state.now() - grant.issued_at > CODE_LIFETIME_SECONDS:
        return _invalid_grant("The authorization code has expired.")
    if body.get("redirect_uri") != grant.redirect_uri:
        return _invalid_grant("The redirect_uri does not match the one used in the authorization request.")
    verifier = body.get("code_verifier")
    if grant.code_challenge and (not verifier or not hmac.compare_digest(s256(verifier), grant.code_challenge)):
        return _invalid_grant("The code_verifier does not match the code_challenge.")
    pair = state.issue_tokens(subdomain=subdomain, client=client, user_id=grant.user_id, scope=grant.scope)
    return jsonify(_token_body(pair, client))


def _rotate(state: EmulatorState, subdomain: str, client: OAuthClient, body: dict):
    old = state.pair_for_refresh(subdomain, body.get("refresh_token", ""))
    if old is None or old.client_id != client.client_id:
        return _invalid_grant("The provided authorization grant is invalid, expired, or revoked.")
    old.revoked = True  # rotation: the old access and refresh tokens stop working
    pair = state.issue_tokens(subdomain=subdomain, client=client, user_id=old.user_id, scope=old.scope)
    return jsonify(_token_body(pair, client))


def _token_body(pair, client: OAuthClient) -> dict:
    return {"access_token": pair.access_token, "token_type": "bearer", "scope": pair.scope,
            "expires_in": client.access_ttl, "refresh_token": pair.refresh_token,
            "refresh_token_expires_in": client.refresh_ttl}

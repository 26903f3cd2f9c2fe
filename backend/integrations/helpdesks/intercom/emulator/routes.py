"""Intercom on loopback: the consent page, /auth/eagle/token, /me, /admins/{id}, contacts, conversations
and notes (conversation replies of message_type "note"), in API 2.11's shapes.

Docs: https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, render_template_string, request

from .state import CODE_LIFETIME_SECONDS, Admin, Conversation, EmulatorState, emulator_state

CONSENT = """<!doctype html><meta charset=utf-8><title>Intercom - Connect</title>
<h1>Connect {{ client_id }} to your Intercom workspace?</h1><form method=post action="/oauth">
<input type=hidden name="client_id" value="{{ client_id }}"><input type=hidden name="state" value="{{ state }}">
<input type=hidden name="redirect_uri" value="{{ redirect_uri }}">
<select name=admin_id>{% for a in admins %}<option value="{{ a.id }}">{{ a.name }} &lt;{{ a.email }}&gt;</option>{% endfor %}</select>
<button name=decision value=allow>Authorize access</button> <button name=decision value=deny>Cancel</button></form>"""
NOTE_MAX_CHARS = 65_000


def register_routes(app: Flask) -> None:
    app.before_request(_inject_fault)
    app.add_url_rule("/oauth", view_func=authorize, methods=["GET"])
    app.add_url_rule("/oauth", view_func=consent, methods=["POST"])
    app.add_url_rule("/auth/eagle/token", view_func=token, methods=["POST"])
    app.add_url_rule("/me", view_func=me, methods=["GET"])
    app.add_url_rule("/admins/<admin_id>", view_func=show_admin, methods=["GET"])
    app.add_url_rule("/contacts/search", view_func=search_contacts, methods=["POST"])
    app.add_url_rule("/contacts", view_func=create_contact, methods=["POST"])
    app.add_url_rule("/conversations", view_func=create_conversation, methods=["POST"])
    app.add_url_rule("/conversations/<conversation_id>", view_func=show_conversation, methods=["GET"])
    app.add_url_rule("/conversations/<conversation_id>", view_func=update_conversation, methods=["PUT"])
    app.add_url_rule("/conversations/<conversation_id>/reply", view_func=reply, methods=["POST"])


def _error(status: int, code: str, message: str):
    return jsonify({"type": "error.list", "request_id": secrets.token_hex(8),
                    "errors": [{"code": code, "message": message}]}), status


def _inject_fault():
    state = emulator_state()
    with state.lock:
        for fault in state.faults:
            if fault.count > 0 and request.path.startswith(fault.path_prefix):
                fault.count -= 1
                return _error(fault.status, "server_error", "injected fault")
    return None


def admin_json(admin: Admin) -> dict:
    return {"type": "admin", "id": admin.id, "email": admin.email, "name": admin.name, "job_title": None,
            "away_mode_enabled": False, "away_mode_reassign": False, "has_inbox_seat": True,
            "team_ids": [], "email_verified": True, "deactivated": not admin.active}


def authorize():
    state = emulator_state()
    client_id = request.args.get("client_id", "")
    with state.lock:
        app = state.apps.get(client_id)
        admins = [a for a in state.admins.values() if a.active]
    if app is None:
        return Response("Unknown client_id", status=400, mimetype="text/plain")
    if request.args.get("redirect_uri") not in (None, app.redirect_uri):
        return Response("redirect_uri is not one of the app's", status=400, mimetype="text/plain")
    return render_template_string(CONSENT, client_id=client_id, state=request.args.get("state", ""),
                                  redirect_uri=app.redirect_uri, admins=admins)


def consent():
    state = emulator_state()
    with state.lock:
        app = state.apps.get(request.form.get("client_id", ""))
        admin = state.admins.get(request.form.get("admin_id", ""))
        if app is None or admin is None:
            return Response("Unknown client or admin", status=400, mimetype="text/plain")
        params = {"state": request.form.get("state", "")}
        if request.form.get("decision") != "allow":
            params["error"] = "access_denied"
        else:
            params["code"] = secrets.token_urlsafe(24)
            state.grants[params["code"]] = (app.client_id, admin.id, state.now())
    return redirect(app.redirect_uri + ("&" if "?" in app.redirect_uri else "?") + urlencode(params))


def token():
    state = emulator_state()
    body = request.get_json(silent=True) if request.is_json else None
    body = body if isinstance(body, dict) else request.form.to_dict()
    with state.lock:
        state.token_requests.append(dict(body))
        app = state.apps.get(body.get("client_id", ""))
        if app is None or not hmac.compare_digest(app.client_secret, body.get("client_secret", "")):
            return jsonify({"error": "invalid_client", "error_description": "Bad client credentials"}), 401
        grant = state.grants.pop(body.get("code", ""), None)
        if grant is None or grant[0] != app.client_id or state.now() - grant[2] > CODE_LIFETIME_SECONDS:
            return jsonify({"error": "invalid_grant", "error_description": "Invalid authorization code"}), 400
        access = state.issue_token(grant[1])
    return jsonify({"token_type": "Bearer", "token": access, "access_token": access})


def _caller(state: EmulatorState):
    token_value = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    admin = state.admins.get(state.tokens.get(token_value, ""))
    if admin is None or not admin.active:
        return None, _error(401, "unauthorized", "Access Token Invalid")
    return admin, None


def me():
    state = emulator_state()
    with state.lock:
        admin, error = _caller(state)
        if error:
            return error
        return jsonify(admin_json(admin) | {"app": {"type": "app", "id_code": admin.workspace_id, "name": "Emulator",
                                                     "region": "US", "timezone": "UTC"}})


def show_admin(admin_id: str):
    state = emulator_state()
    with state.lock:
        _admin, error = _caller(state)
        if error:
            return error
        admin = state.admins.get(admin_id)
        return jsonify(admin_json(admin)) if admin else _error(404, "admin_not_found", "Admin not found")


def search_contacts():
    state = emulator_state()
    query = (request.get_json(silent=True) or {}).get("query") or {}
    with state.lock:
        _admin, error = _caller(state)
        if error:
            return error
        if query.get("field") != "email" or query.get("operator") != "=":
            return _error(400, "parameter_invalid", "the emulator searches contacts by email = only")
        data = [c for c in state.contacts.values() if c["email"] == query.get("value")]
    return jsonify({"type": "list", "data": data, "total_count": len(data)})


def create_contact():
    state = emulator_state()
    body = request.get_json(silent=True) or {}
    with state.lock:
        _admin, error = _caller(state)
        if error:
            return error
        if not isinstance(body.get("email"), str) or "@" not in body["email"]:
            return _error(400, "parameter_invalid", "email is required")
        if any(c["email"] == body["email"] for c in state.contacts.values()):
            return _error(409, "conflict", "A contact matching those details already exists")
        contact = {"type": "contact", "id": state.next_id(), "role": body.get("role") or "user",
                   "email": body["email"], "name": body.get("name")}
        state.contacts[contact["id"]] = contact
    return jsonify(contact)


def create_conversation():
    state = emulator_state()
    body = request.get_json(silent=True) or {}
    sender = body.get("from") if isinstance(body.get("from"), dict) else {}
    with state.lock:
        _admin, error = _caller(state)
        if error:
            return error
        if sender.get("id") not in state.contacts or not str(body.get("body") or "").strip():
            return _error(400, "parameter_invalid", "from must be an existing contact and body is required")
        conv = Conversation(id=state.next_id(), contact_id=sender["id"], title=None, body=body["body"],
                            created_at=state.now())
        state.conversations[conv.id] = conv
    return jsonify({"type": "user_message", "id": state.next_id(), "created_at": conv.created_at,
                    "body": conv.body, "message_type": "inapp", "conversation_id": conv.id})


def conversation_json(conv: Conversation) -> dict:
    return {"type": "conversation", "id": conv.id, "title": conv.title, "created_at": conv.created_at,
            "source": {"type": "conversation", "body": conv.body},
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": conv.contact_id}]},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": list(conv.parts),
                                   "total_count": len(conv.parts)}}


def _conversation(state: EmulatorState, conversation_id: str):
    admin, error = _caller(state)
    if error:
        return None, error
    conv = state.conversations.get(conversation_id)
    return (conv, None) if conv else (None, _error(404, "not_found", "Resource Not Found"))


def show_conversation(conversation_id: str):
    state = emulator_state()
    with state.lock:
        conv, error = _conversation(state, conversation_id)
        return error or jsonify(conversation_json(conv))


def update_conversation(conversation_id: str):
    state = emulator_state()
    body = request.get_json(silent=True) or {}
    with state.lock:
        conv, error = _conversation(state, conversation_id)
        if error:
            return error
        if "title" in body:
            conv.title = str(body["title"])
        return jsonify(conversation_json(conv))


def reply(conversation_id: str):
    state = emulator_state()
    body = request.get_json(silent=True) or {}
    with state.lock:
        conv, error = _conversation(state, conversation_id)
        if error:
            return error
        if body.get("type") != "admin" or body.get("message_type") not in ("comment", "note"):
            return _error(400, "parameter_invalid", "type must be admin and message_type comment or note")
        author = state.admins.get(str(body.get("admin_id") or ""))
        text = str(body.get("body") or "")
        if author is None or not text.strip() or len(text) > NOTE_MAX_CHARS:
            return _error(400, "parameter_invalid", "admin_id must be a teammate and body 1 to 65000 characters")
        conv.parts.append({"type": "conversation_part", "id": state.next_id(), "part_type": body["message_type"],
                           "body": text, "created_at": state.now(),
                           "author": {"type": "admin", "id": author.id, "name": author.name}})
        return jsonify(conversation_json(conv))

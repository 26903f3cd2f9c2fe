"""The REST API subset ChargeDesk uses: users/me, users/{id}, ticket create and update with a comment.

Docs: https://developer.zendesk.com/api-reference/ticketing/users/users/ ,
https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request

from . import shapes
from .state import EmulatorState, Ticket, TokenPair, ZendeskUser, emulator_state


def _base(subdomain: str) -> str:
    return request.host_url.rstrip("/") + "/" + subdomain


def _has_scope(pair: TokenPair, resource: str, write: bool) -> bool:
    scopes = set(pair.scope.split())
    wanted = "write" if write else "read"
    return wanted in scopes or f"{resource}:{wanted}" in scopes or (not write and "write" in scopes)


def _authorize(state: EmulatorState, subdomain: str, resource: str, write: bool):
    """The token pair behind the Bearer header, or an error response."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    pair = state.pair_for_access(subdomain, token) if token else None
    user = state.users.get((subdomain, pair.user_id)) if pair else None
    if pair is None or user is None or not user.active or user.suspended:
        return None, (jsonify(shapes.INVALID_TOKEN), 401)
    if not _has_scope(pair, resource, write):
        return None, (jsonify(shapes.FORBIDDEN), 403)
    return pair, None


def register_api_routes(app: Flask) -> None:
    """Bind the API endpoints under /<subdomain>/api/v2."""
    app.add_url_rule("/<subdomain>/api/v2/users/me.json", view_func=me, methods=["GET"])
    app.add_url_rule("/<subdomain>/api/v2/users/<int:user_id>.json", view_func=show_user, methods=["GET"])
    app.add_url_rule("/<subdomain>/api/v2/tickets.json", view_func=create_ticket, methods=["POST"])
    app.add_url_rule("/<subdomain>/api/v2/tickets/<int:ticket_id>.json", view_func=update_ticket, methods=["PUT"])
    app.add_url_rule("/<subdomain>/api/v2/tickets/<int:ticket_id>/comments.json", view_func=list_comments,
                     methods=["GET"])
    app.add_url_rule("/<subdomain>/api/v2/apps/installations/<int:installation_id>.json",
                     view_func=show_app_installation, methods=["GET"])
    app.add_url_rule("/<subdomain>/api/v2/apps/<app_id>/public_key.pem", view_func=app_public_key, methods=["GET"])


def me(subdomain: str):
    state = emulator_state()
    with state.lock:
        pair, error = _authorize(state, subdomain, "users", write=False)
        if error:
            return error
        return jsonify({"user": shapes.user_json(state.users[(subdomain, pair.user_id)], _base(subdomain))})


def show_user(subdomain: str, user_id: int):
    state = emulator_state()
    with state.lock:
        _pair, error = _authorize(state, subdomain, "users", write=False)
        if error:
            return error
        user = state.users.get((subdomain, user_id))
        if user is None:
            return jsonify(shapes.NOT_FOUND), 404
        return jsonify({"user": shapes.user_json(user, _base(subdomain))})


def update_ticket(subdomain: str, ticket_id: int):
    state = emulator_state()
    with state.lock:
        pair, error = _authorize(state, subdomain, "tickets", write=True)
        if error:
            return error
        ticket = state.tickets.get((subdomain, ticket_id))
        if ticket is None:
            return jsonify(shapes.NOT_FOUND), 404
        payload = (request.get_json(silent=True) or {}).get("ticket")
        if not isinstance(payload, dict):
            return jsonify(shapes.api_error("InvalidEndpoint", "ticket parameter is required")), 400
        return _apply_update(state, ticket, payload, author_id=pair.user_id, base=_base(subdomain))


def create_ticket(subdomain: str):
    """POST /api/v2/tickets.json: a requester given by email becomes an end user if unknown; the
    first comment is the description (public unless `public: false`)."""
    state = emulator_state()
    with state.lock:
        pair, error = _authorize(state, subdomain, "tickets", write=True)
        if error:
            return error
        payload = (request.get_json(silent=True) or {}).get("ticket")
        if not isinstance(payload, dict) or not isinstance(payload.get("comment"), dict):
            return jsonify(shapes.api_error("RecordInvalid", "Description: cannot be blank")), 422
        requester = _requester(state, subdomain, payload.get("requester"), default_id=pair.user_id)
        if requester is None:
            return jsonify(shapes.api_error("RecordInvalid", "Requester: email is invalid")), 422
        ticket = Ticket(id=state.next_ticket_id(), subdomain=subdomain, subject=str(payload.get("subject") or ""),
                        requester_id=requester, created_at=state.now())
        state.tickets[(subdomain, ticket.id)] = ticket
        answer = _apply_update(state, ticket, {"comment": payload["comment"]}, author_id=pair.user_id,
                               base=_base(subdomain))
        if answer.status_code == 200:
            answer.status_code = 201
        else:
            del state.tickets[(subdomain, ticket.id)]
        return answer


def _requester(state: EmulatorState, subdomain: str, requester, *, default_id: int) -> int | None:
    """The requester's user id: the API user when none is given, else found or created by email."""
    if requester is None:
        return default_id
    email = str(requester.get("email") or "").strip().lower() if isinstance(requester, dict) else ""
    if "@" not in email:
        return None
    for user in state.users.values():
        if user.subdomain == subdomain and user.email.lower() == email:
            return user.id
    user = ZendeskUser(id=state.next_id(), subdomain=subdomain, email=email,
                       name=str(requester.get("name") or email), role="end-user", created_at=state.now())
    state.users[(subdomain, user.id)] = user
    return user.id


def list_comments(subdomain: str, ticket_id: int):
    state = emulator_state()
    with state.lock:
        _pair, error = _authorize(state, subdomain, "tickets", write=False)
        if error:
            return error
        ticket = state.tickets.get((subdomain, ticket_id))
        if ticket is None:
            return jsonify(shapes.NOT_FOUND), 404
        return jsonify({"comments": list(ticket.comments), "next_page": None, "previous_page": None,
                        "count": len(ticket.comments)})


def show_app_installation(subdomain: str, installation_id: int):
    """GET /api/v2/apps/installations/{id}.json: the installation object itself (not wrapped)."""
    state = emulator_state()
    with state.lock:
        _pair, error = _authorize(state, subdomain, "apps", write=False)
        if error:
            return error
        installation = state.app_installations.get((subdomain, installation_id))
        if installation is None:
            return jsonify(shapes.NOT_FOUND), 404
        return jsonify(shapes.app_installation_json(installation))


def app_public_key(subdomain: str, app_id: str):
    """GET /api/v2/apps/{app_id}/public_key.pem: with a token of this account, for an app
    installed in it (the account's token cannot read the keys of apps it does not have)."""
    state = emulator_state()
    with state.lock:
        _pair, error = _authorize(state, subdomain, "apps", write=False)
        if error:
            return error
        installed = any(i.subdomain == subdomain and str(i.app_id) == app_id
                        for i in state.app_installations.values())
        keys = state.app_keys.get(app_id) if installed else None
    if keys is None:
        return jsonify(shapes.NOT_FOUND), 404
    return Response(keys[1], mimetype="application/x-pem-file")


def _apply_update(state: EmulatorState, ticket: Ticket, payload: dict, *, author_id: int, base: str):
    """Store the comment (if any) and the status change; answer with the ticket and its audit."""
    now, audit_id, events = state.now(), state.next_id(), []
    comment = payload.get("comment")
    if comment is not None:
        body = comment.get("body") or comment.get("html_body") if isinstance(comment, dict) else None
        if not body:
            return jsonify(shapes.api_error("RecordInvalid", "Comment: body cannot be blank")), 422
        public = comment.get("public", True) is not False
        events.append(shapes.comment_json(comment_id=state.next_id(), author_id=author_id, body=body,
                                          public=public, audit_id=audit_id, created_at=now))
        ticket.comments.append(events[-1])
    if payload.get("status"):
        ticket.status = str(payload["status"])
    audit = shapes.audit_json(audit_id=audit_id, ticket=ticket, author_id=author_id, created_at=now,
                              events=events)
    return jsonify({"ticket": shapes.ticket_json(ticket, base), "audit": audit})


def inject_fault():
    """before_request: log the call; an armed fault answers instead (429 with Retry-After, or 5xx)."""
    state = emulator_state()
    with state.lock:
        state.request_log.append((request.method, request.path))
        fault = state.take_fault(request.path)
    if fault is None:
        return None
    if fault.status == 429:
        response = jsonify(shapes.RATE_LIMITED)
        response.headers["Retry-After"] = "1"
    else:
        response = jsonify(shapes.SERVER_ERROR)
    response.status_code = fault.status
    return response

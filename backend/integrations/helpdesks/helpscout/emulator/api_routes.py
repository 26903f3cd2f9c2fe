"""The Mailbox API v2 subset ChargeDesk uses: users/me, users/{id}, conversations, threads, notes.

Docs: https://developer.helpscout.com/mailbox-api/
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, request

from . import shapes
from .state import Conversation, EmulatorState, HelpScoutUser, emulator_state

NOTE_MAX_CHARS = 50_000


def register_api_routes(app: Flask) -> None:
    app.add_url_rule("/v2/users/me", view_func=me, methods=["GET"])
    app.add_url_rule("/v2/users/<int:user_id>", view_func=show_user, methods=["GET"])
    app.add_url_rule("/v2/conversations", view_func=create_conversation, methods=["POST"])
    app.add_url_rule("/v2/conversations/<int:conversation_id>", view_func=show_conversation, methods=["GET"])
    app.add_url_rule("/v2/conversations/<int:conversation_id>/threads", view_func=list_threads, methods=["GET"])
    app.add_url_rule("/v2/conversations/<int:conversation_id>/notes", view_func=create_note, methods=["POST"])


def _base() -> str:
    return request.host_url.rstrip("/")


def _error(status: int, message: str, errors: list[dict] | None = None):
    return jsonify(shapes.error_json(message, status=status, errors=errors)), status


def _caller(state: EmulatorState) -> tuple[HelpScoutUser | None, tuple | None]:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    pair = state.pair_for_access(token) if token else None
    user = state.users.get(pair.user_id) if pair else None
    if user is None or not user.active:
        return None, (jsonify(shapes.oauth_error("invalid_token", "The access token is invalid or has expired")),
                      401)
    return user, None


def _conversation(state: EmulatorState, caller: HelpScoutUser, conversation_id: int) -> Conversation | None:
    conv = state.conversations.get(conversation_id)
    return conv if conv is not None and conv.company_id == caller.company_id else None


def me():
    state = emulator_state()
    with state.lock:
        caller, error = _caller(state)
        return error or jsonify(shapes.user_json(caller, _base()))


def show_user(user_id: int):
    state = emulator_state()
    with state.lock:
        caller, error = _caller(state)
        if error:
            return error
        user = state.users.get(user_id)
        if user is None or user.company_id != caller.company_id:
            return _error(404, "Resource not found")
        return jsonify(shapes.user_json(user, _base()))


def show_conversation(conversation_id: int):
    state = emulator_state()
    with state.lock:
        caller, error = _caller(state)
        if error:
            return error
        conv = _conversation(state, caller, conversation_id)
        return jsonify(shapes.conversation_json(conv, _base())) if conv else _error(404, "Resource not found")


def list_threads(conversation_id: int):
    state = emulator_state()
    with state.lock:
        caller, error = _caller(state)
        if error:
            return error
        conv = _conversation(state, caller, conversation_id)
        if conv is None:
            return _error(404, "Resource not found")
        threads = list(reversed(conv.threads))  # newest first, as Help Scout lists them
        return jsonify({"_embedded": {"threads": threads},
                        "page": {"size": 50, "totalElements": len(threads), "totalPages": 1, "number": 1}})


def create_note(conversation_id: int):
    """201 with the new thread's id in Resource-ID and an empty body."""
    state = emulator_state()
    body = request.get_json(silent=True)
    with state.lock:
        caller, error = _caller(state)
        if error:
            return error
        conv = _conversation(state, caller, conversation_id)
        if conv is None:
            return _error(404, "Resource not found")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > NOTE_MAX_CHARS:
            return _error(400, "Bad request", [{"path": "text", "message": "may not be empty", "source": "JSON"}])
        author_id = body.get("user")
        author = state.users.get(author_id) if isinstance(author_id, int) else None
        author = author if author is not None and author.company_id == caller.company_id else caller
        thread_id = state.next_thread_id()
        conv.threads.append(shapes.thread_json(thread_id=thread_id, kind="note", text=text, user=author,
                                               created_at=state.now()))
    return _created(f"/v2/conversations/{conversation_id}/threads/{thread_id}", thread_id)


def create_conversation():
    """A conversation for a customer email in a mailbox, with its threads (e.g. one note)."""
    state = emulator_state()
    body = request.get_json(silent=True)
    with state.lock:
        caller, error = _caller(state)
        if error:
            return error
        problems = _conversation_problems(body)
        if problems:
            return _error(400, "Bad request", problems)
        conv = Conversation(id=state.next_conversation_id(), number=0, company_id=caller.company_id,
                            mailbox_id=int(body["mailboxId"]), subject=body["subject"],
                            customer_email=body["customer"]["email"], created_at=state.now(),
                            status=body.get("status", "active"))
        conv.number = conv.id - 900000
        for thread in body["threads"]:
            kind = {"customer": "customer", "reply": "message"}.get(thread["type"], thread["type"])
            conv.threads.append(shapes.thread_json(thread_id=state.next_thread_id(), kind=kind, text=thread["text"],
                                                   user=caller if kind != "customer" else None,
                                                   created_at=state.now()))
        state.conversations[conv.id] = conv
    return _created(f"/v2/conversations/{conv.id}", conv.id)


def _conversation_problems(body) -> list[dict]:
    if not isinstance(body, dict):
        return [{"path": "", "message": "JSON object expected", "source": "JSON"}]
    problems = []
    if not isinstance(body.get("subject"), str) or not body["subject"].strip():
        problems.append({"path": "subject", "message": "may not be empty", "source": "JSON"})
    if not isinstance(body.get("mailboxId"), int):
        problems.append({"path": "mailboxId", "message": "may not be null", "source": "JSON"})
    customer = body.get("customer")
    if not isinstance(customer, dict) or not isinstance(customer.get("email"), str):
        problems.append({"path": "customer", "message": "email or id required", "source": "JSON"})
    threads = body.get("threads")
    if not isinstance(threads, list) or not threads or not all(
            isinstance(t, dict) and t.get("type") in ("customer", "reply", "note") and isinstance(t.get("text"), str)
            and t["text"].strip() for t in threads):
        problems.append({"path": "threads", "message": "at least one thread with a type and text", "source": "JSON"})
    if body.get("status", "active") not in ("active", "closed", "pending"):
        problems.append({"path": "status", "message": "invalid value", "source": "JSON"})
    return problems


def _created(path: str, resource_id: int) -> Response:
    response = Response(status=201)
    response.headers["Resource-ID"] = str(resource_id)
    response.headers["Location"] = _base() + path
    return response


def inject_fault():
    """before_request: log the call; an armed fault answers instead (429 with Retry-After, or 5xx)."""
    state = emulator_state()
    with state.lock:
        state.request_log.append((request.method, request.path))
        fault = state.take_fault(request.path)
    if fault is None:
        return None
    response = jsonify(shapes.error_json("Emulated failure", status=fault.status))
    response.status_code = fault.status
    if fault.status == 429:
        response.headers["X-RateLimit-Retry-After"] = "1"
    return response

"""POST /sidebar/intercom/initialize and /submit: Intercom's Canvas Kit requests, answered with canvases.

Both are signed (X-Body-Signature, checked by IntercomHost before anything is read or written): an
unsigned, tampered or foreign request is a 401 with an empty body. Every other problem is a canvas
with the message as text (a non-200 answer breaks the app in Intercom's inbox).
"""
from __future__ import annotations

import logging

from flask import Response, jsonify, request

from backend.actions.base import ActionRejected
from backend import db
from backend.auth.principal import Principal
from backend.db import session
from backend.emails import normalize_email
from backend.integrations.helpdesks import HelpdeskError
from backend.integrations.helpdesks.agents import ProvisioningRefused
from backend.integrations.helpdesks.host import HostClaims, HostVerificationError
from backend.integrations.helpdesks.intercom.canvas_requests import unverified_field, verify_canvas_body
from backend.models import ActionRun
from backend.sidebar import ContextQuery, build_context
from backend.sidebar.context import CustomerNotFound

from . import actions, canvas, lookup
from .pending import pending_from, seal, unseal

log = logging.getLogger(__name__)
KIND = "intercom"
MAX_BODY_BYTES = 256 * 1024
MAX_CONTENT_BYTES = 64 * 1024
RECONNECT = "ChargeDesk needs to be reconnected: an Intercom admin must reconnect Intercom in ChargeDesk's admin page."
UNAVAILABLE = "ChargeDesk could not reach Intercom just now. Reopen the conversation in a moment."
NO_EMAIL = "This conversation's contact has no email address to look up."
STALE = "This screen is out of date. Start again from the customer."


class CanvasRequest:
    """One verified request: who asks, for which conversation, with what stored_data and inputs."""

    def __init__(self, installation_id: int, claims: HostClaims, data: dict, principal: Principal):
        self.installation_id, self.claims, self.data, self.principal = installation_id, claims, data, principal
        current = data.get("current_canvas") if isinstance(data.get("current_canvas"), dict) else {}
        stored = current.get("stored_data", data.get("stored_data"))
        self.stored: dict = stored if isinstance(stored, dict) else {}
        inputs = data.get("input_values")
        self.inputs: dict = inputs if isinstance(inputs, dict) else {}
        self.component_id = str(data.get("component_id") or "")[:200]

    def seal(self, payload: dict) -> dict:
        return seal(payload, installation_id=self.installation_id, admin_id=self.claims.external_user_id)

    def unsealed(self, name: str) -> dict | None:
        return unseal(self.stored.get(name), installation_id=self.installation_id,
                      admin_id=self.claims.external_user_id)

    @property
    def customer_id(self) -> int | None:
        value = self.stored.get("customer_id")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def answer(body: dict) -> Response:
    response = jsonify(body)
    if len(response.get_data()) > MAX_CONTENT_BYTES:  # never answer what Intercom refuses to show
        response = jsonify(canvas.canvas([canvas.text("Too much to show here; open ChargeDesk's admin page.",
                                                      "error")]))
    response.headers["Cache-Control"] = "no-store"
    return response


def message(text: str, style: str = "muted") -> Response:
    return answer(canvas.canvas([canvas.text("ChargeDesk", "header"), canvas.text(text, style)]))


def initialize() -> Response:
    db.use_autocommit()  # reads only; a first open's provisioning writes in its own transaction
    return _handle(_summary)


def submit() -> Response:
    return _handle(_dispatch)


def _handle(respond) -> Response:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return Response("request body too large", status=413, mimetype="text/plain")
    body = request.get_data(cache=False)
    try:
        found = lookup.find(unverified_field(body, "workspace_id"), unverified_field(body, "admin.id"))
        if found is None:
            raise HostVerificationError("no Intercom installation for this workspace")
        claims, data = verify_canvas_body(found.id, found.credentials, body=body,
                                          signature=request.headers.get("X-Body-Signature"))
    except HostVerificationError as exc:
        log.info("intercom canvas request refused from %s: %s", request.remote_addr, exc)
        return Response(status=401)
    if found.status != "active":
        return message(RECONNECT, "error")
    try:
        principal = lookup.principal(found, claims)
    except ProvisioningRefused as exc:
        return message(exc.message, "error")
    except HelpdeskError as exc:
        log.warning("intercom: provisioning for installation %s failed: %s", found.id, exc.message)
        return message(RECONNECT if exc.reconnect else UNAVAILABLE if exc.retryable else
                       f"ChargeDesk could not look up your Intercom teammate: {exc.message}.", "error")
    try:
        return respond(CanvasRequest(found.id, claims, data, principal))
    except ActionRejected as exc:
        session().rollback()
        return message(exc.message, "error")
    except CustomerNotFound:
        session().rollback()
        return message(STALE, "error")


def _view(req: CanvasRequest, customer_id: int | None) -> dict | None:
    emails = tuple(dict.fromkeys(e for e in map(normalize_email, req.claims.requester_emails) if e))
    if not emails and customer_id is None:
        return None
    return build_context(session(), req.principal, ContextQuery(emails=emails, ticket=req.claims.ticket_id,
                                                                customer_id=customer_id))


def _summary(req: CanvasRequest, customer_id: int | None = None) -> Response:
    """The first canvas (or a picked customer's)."""
    view = _view(req, customer_id)
    if view is None:
        return message(NO_EMAIL)
    stored = {"customer_id": view["selected_id"]} if view.get("selected_id") else None
    return answer(canvas.canvas(canvas.summary_components(view, read_only=not req.principal.can_act), stored))


def _dispatch(req: CanvasRequest) -> Response:
    head, _, rest = req.component_id.partition(":")
    if head == "pick" and rest.isdigit():
        return _summary(req, int(rest))
    if head in ("back", "more", "open"):
        view = _view(req, req.customer_id)
        if view is None or not view.get("customer"):
            return _summary(req, req.customer_id)
        stored = {"customer_id": view["selected_id"]}
        if head == "more":
            return answer(canvas.canvas(canvas.more_components(view), stored))
        if head == "open":
            return _target(req, view, rest, stored)
        return answer(canvas.canvas(canvas.summary_components(view, read_only=not req.principal.can_act), stored))
    if head == "act":
        return _confirm(req, rest)
    if head == "confirm":
        return _run(req)
    if head == "refresh":
        return _refresh(req)
    return message(STALE, "error")


def _target(req: CanvasRequest, view: dict, rest: str, stored: dict) -> Response:
    target_type, _, target_id = rest.partition(":")
    customer = view["customer"]
    pools = {"charge": customer.get("charges") or [], "subscription": customer.get("subscriptions") or [],
             "invoice": [*((customer.get("invoices") or {}).get("open") or []),
                         *((customer.get("invoices") or {}).get("past") or [])]}
    found = next((o for o in pools.get(target_type, []) if str(o.get("id")) == target_id), None)
    if found is None:
        return message(STALE, "error")
    return answer(canvas.canvas(canvas.target_components(found, target_type), stored))


def _confirm(req: CanvasRequest, rest: str) -> Response:
    kind, target_type, target_id = (rest.split(":") + ["", "", ""])[:3]
    if not req.principal.can_act or kind not in canvas.ACTIONS.get(target_type, ()) or not target_id.isdigit():
        return message("You cannot start this action here.", "error")
    pending = actions.new_pending(kind, target_type, int(target_id))
    stored = {"customer_id": req.customer_id, "pending": req.seal(pending.__dict__)}
    return answer(canvas.canvas(actions.confirm_components(req.principal, pending), stored))


def _run(req: CanvasRequest) -> Response:
    pending = pending_from(req.unsealed("pending"))
    if pending is None or not req.principal.can_act:
        return message(STALE, "error")
    try:
        run = actions.submit_pending(req.principal, pending, req.inputs, ticket_id=req.claims.ticket_id,
                                     ip=request.remote_addr)
    except ActionRejected as exc:
        return answer(canvas.canvas(actions.confirm_components(req.principal, pending, values=req.inputs,
                                                               error=exc.message), req.stored))
    stored = {"customer_id": req.customer_id, "pending": req.stored.get("pending"),
              "run": req.seal({"run": run.id})}
    return answer(canvas.canvas(actions.result_components(run), stored))


def _refresh(req: CanvasRequest) -> Response:
    sealed = req.unsealed("run") or {}
    run = session().get(ActionRun, str(sealed.get("run") or "")[:64]) if sealed.get("run") else None
    if run is None or run.account_id != req.principal.account_id or run.requested_by_user_id != req.principal.user_id:
        return message(STALE, "error")
    session().refresh(run)
    return answer(canvas.canvas(actions.result_components(run), req.stored))

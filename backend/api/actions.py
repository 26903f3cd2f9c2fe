"""One-click actions: submit (202), read, approve/reject, and a customer's actions.

POST /api/v1/actions                       {kind, target, target_type?, params, reason, note?,
                                            idempotency_key, source?: {host, ticket_id}}
GET  /api/v1/actions/<id>                  the run (poll it until succeeded/failed)
POST /api/v1/actions/<id>/approve|reject   {note} (owner/admin)
GET  /api/v1/customers/<id>/actions        a customer's runs, newest first
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, pre_load, validate

from ..actions import ACTION_KINDS, ActionRejected
from ..actions.approvals import decide
from ..actions.intake import ActionRequest, submit_action
from ..actions.runs import run_view
from ..db import session
from ..models import ActionRun, Customer
from ..models.operations import RUN_STATUSES
from ..tenancy import TenantScope
from .auth import current_principal, require_auth
from .errors import ApiError
from .fields import Int64

blp = Blueprint("actions", __name__, url_prefix="/api/v1", description="One-click actions")


class SourceSchema(Schema):
    host = fields.String(validate=validate.Length(1, 32), metadata={"description": "zendesk, helpscout ..."})
    ticket_id = fields.Raw(metadata={"description": "The ticket the action was taken from"})


class ActionCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ACTION_KINDS))
    target = Int64(required=True, strict=True, metadata={"description": "Our id of the object"})
    target_type = fields.String(validate=validate.OneOf(("charge", "subscription", "customer", "invoice")))
    params = fields.Dict(load_default=dict)
    reason = fields.String(allow_none=True, validate=validate.Length(max=64))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    idempotency_key = fields.String(required=True, validate=validate.Length(1, 200),
                                    metadata={"description": "Or the Idempotency-Key header"})
    source = fields.Nested(SourceSchema, load_default=dict)

    @pre_load
    def key_from_header(self, body, **_kwargs):
        """The Idempotency-Key header stands in for a body without idempotency_key."""
        header = request.headers.get("Idempotency-Key")
        if isinstance(body, dict) and header and "idempotency_key" not in body:
            return {**body, "idempotency_key": header}
        return body


IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
                      "description": "Instead of idempotency_key in the body"}


class Decision(Schema):
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class RunSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": ", ".join(RUN_STATUSES)})
    connection_id = fields.Integer()
    target = fields.Dict()
    customer_id = fields.Integer(allow_none=True)
    params = fields.Dict()
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    idempotency_key = fields.String()
    requested_by = fields.Dict()
    source = fields.Dict()
    result = fields.Dict(allow_none=True)
    error = fields.Dict(allow_none=True)
    decision = fields.Dict(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)


class RunList(Schema):
    data = fields.List(fields.Nested(RunSchema))


class RunQuery(Schema):
    status = fields.String(validate=validate.OneOf(RUN_STATUSES))
    kind = fields.String(validate=validate.OneOf(ACTION_KINDS))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


def _rejected(exc: ActionRejected) -> ApiError:
    session().rollback()
    return ApiError(exc.status, exc.message, exc.errors)


def _action_request(body: dict) -> ActionRequest:
    key = body.get("idempotency_key") or request.headers.get("Idempotency-Key")
    if not key or len(key) > 200:
        raise ApiError(422, "idempotency_key is required (at most 200 characters): send a new random key "
                            "per click.", {"idempotency_key": ["Required."]})
    ticket = (body.get("source") or {}).get("ticket_id")
    if ticket is not None and (isinstance(ticket, bool) or not isinstance(ticket, (str, int))):
        raise ApiError(422, "source.ticket_id must be the ticket's id (text or a number).",
                       {"source": {"ticket_id": ["Not an id."]}})
    return ActionRequest(kind=body["kind"], target=body["target"], idempotency_key=key,
                         params=body["params"], target_type=body.get("target_type"),
                         reason=body.get("reason"), note=body.get("note"),
                         source=body.get("source") or {}, ip=request.remote_addr)


@blp.route("/actions")
class ActionCollection(MethodView):
    decorators = [require_auth]

    @blp.arguments(ActionCreate)
    @blp.response(202, RunSchema)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, body):
        """Validate and queue an action; the same idempotency_key returns the same run (200)."""
        try:
            run, created = submit_action(session(), current_principal(), _action_request(body))
        except ActionRejected as exc:
            raise _rejected(exc) from None
        if created:
            return run_view(run)
        return run_view(run), 200, {"Idempotent-Replayed": "true"}

    @blp.arguments(RunQuery, location="query")
    @blp.response(200, RunList)
    def get(self, args):
        """The account's runs, newest first (e.g. ?status=pending_approval for the approval queue)."""
        criteria = [getattr(ActionRun, k) == args[k] for k in ("status", "kind") if k in args]
        scope = TenantScope(session(), current_principal().account_id)
        rows = scope.all(ActionRun, *criteria, order_by=ActionRun.created_at.desc(), limit=args["limit"])
        return {"data": [run_view(r) for r in rows]}


def _run_or_404(run_id: str) -> ActionRun:
    run = TenantScope(session(), current_principal().account_id).get(ActionRun, run_id)
    if run is None:
        raise ApiError(404, f"No action {run_id} in this account.")
    return run


@blp.route("/actions/<string:run_id>")
class ActionItem(MethodView):
    decorators = [require_auth]

    @blp.response(200, RunSchema)
    def get(self, run_id: str):
        """One run: poll until it is succeeded, failed or rejected."""
        return run_view(_run_or_404(run_id))


def _decide(run_id: str, body: dict, *, approve: bool) -> dict:
    try:
        return run_view(decide(session(), current_principal(), run_id, approve=approve, note=body.get("note")))
    except ActionRejected as exc:
        raise _rejected(exc) from None


@blp.route("/actions/<string:run_id>/approve")
class ApproveAction(MethodView):
    decorators = [require_auth]

    @blp.arguments(Decision)
    @blp.response(200, RunSchema)
    def post(self, body, run_id: str):
        """Owner/admin: queue a run that waits for approval."""
        return _decide(run_id, body, approve=True)


@blp.route("/actions/<string:run_id>/reject")
class RejectAction(MethodView):
    decorators = [require_auth]

    @blp.arguments(Decision)
    @blp.response(200, RunSchema)
    def post(self, body, run_id: str):
        """Owner/admin: refuse a run that waits for approval; it never executes."""
        return _decide(run_id, body, approve=False)


@blp.route("/customers/<int:customer_id>/actions")
class CustomerActions(MethodView):
    decorators = [require_auth]

    @blp.arguments(RunQuery, location="query")
    @blp.response(200, RunList)
    def get(self, args, customer_id: int):
        """A customer's runs, newest first."""
        scope = TenantScope(session(), current_principal().account_id)
        if scope.get(Customer, customer_id) is None:
            raise ApiError(404, f"no customer {customer_id}")
        criteria = [getattr(ActionRun, k) == args[k] for k in ("status", "kind") if k in args]
        rows = scope.all(ActionRun, ActionRun.customer_id == customer_id, *criteria,
                         order_by=ActionRun.created_at.desc(), limit=args["limit"])
        return {"data": [run_view(r) for r in rows]}

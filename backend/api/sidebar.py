"""Billing context for sidebars: GET the view model for a ticket's requester, remember manual links."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..db import session, transaction
from ..emails import normalize_email
from ..sidebar import ContextQuery, LinkError, build_context, remember_link
from ..sidebar.context import CustomerNotFound
from .auth import current_principal, require_auth
from .errors import ApiError

blp = Blueprint("sidebar", __name__, url_prefix="/api/v1/sidebar", description="Sidebar billing context")
MAX_EMAILS = 20


class ContextArgs(Schema):
    email = fields.List(fields.Str(validate=validate.Length(max=320)), load_default=list,
                        validate=validate.Length(max=MAX_EMAILS),
                        metadata={"description": "A requester address; repeat for several (case-insensitive)"})
    ticket = fields.Str(validate=validate.Length(max=64), metadata={"description": "The helpdesk ticket id"})
    customer_id = fields.Int(validate=validate.Range(min=1),
                             metadata={"description": "The customer the agent picked among several matches"})


class LinkArgs(Schema):
    email = fields.Str(required=True, validate=validate.Length(max=320))
    customer_id = fields.Int(required=True, validate=validate.Range(min=1))


class LinkOut(Schema):
    id = fields.Int()
    email = fields.Str()
    customer_id = fields.Int()
    created_by_user_id = fields.Int(allow_none=True)
    created_at = fields.Str(allow_none=True)


def requester_emails(raw: list[str]) -> tuple[str, ...]:
    """Normalized, de-duplicated addresses in the order given; 422 naming any bad one."""
    emails: list[str] = []
    bad = [value for value in raw if normalize_email(value) is None]
    if bad:
        listed = ", ".join(repr(value) for value in bad)
        raise ApiError(422, f"Not an email address: {listed}", {"email": [f"{v!r} is not an email address" for v in bad]})
    for value in raw:
        email = normalize_email(value)
        if email not in emails:
            emails.append(email)
    return tuple(emails)


@blp.route("/context")
class SidebarContext(MethodView):
    decorators = [require_auth]

    @blp.arguments(ContextArgs, location="query")
    @blp.response(200, description="The sidebar view model: matches, the selected customer's billing, "
                                   "allowed actions, recent runs, or an empty state")
    def get(self, args):
        """Billing context for a ticket's requester (sidebar token or API key)."""
        emails = requester_emails(args["email"])
        if not emails and "customer_id" not in args:
            raise ApiError(422, "Send at least one requester email (email=...) or a customer_id.",
                           {"email": ["Missing data for required field."]})
        query = ContextQuery(emails=emails, ticket=args.get("ticket"), customer_id=args.get("customer_id"))
        try:
            return build_context(session(), current_principal(), query)
        except CustomerNotFound as exc:
            raise ApiError(404, str(exc), {"customer_id": ["Unknown customer."]}) from None


@blp.route("/links")
class SidebarLinks(MethodView):
    decorators = [require_auth]

    @blp.arguments(LinkArgs)
    @blp.response(201, LinkOut)
    @blp.alt_response(200, schema=LinkOut, description="The link already existed")
    def post(self, args):
        """Remember that a requester email belongs to a customer (the latest pick wins)."""
        principal = current_principal()
        source = {"host": principal.helpdesk.get("kind"), "installation_id": principal.helpdesk.get("installation_id")}
        try:
            with transaction() as s:
                link, created = remember_link(s, principal, email=args["email"], customer_id=args["customer_id"],
                                              source=source)
        except LinkError as exc:
            raise ApiError(exc.status, exc.message, exc.errors) from None
        return link, 201 if created else 200

"""Billing context for sidebars: GET the view model for a ticket's requester, remember manual links."""
from __future__ import annotations

from functools import lru_cache

import orjson
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.engine import Engine

from .. import db
from ..auth.sidebar_tokens import (
    SidebarClaims, agent_params, principal_from_row, read_sidebar_token, viewer_params, viewer_principal,
    viewer_principal_in_session, viewer_statement,
)
from ..db import session, transaction
from ..emails import normalize_email
from ..sidebar import ContextQuery, LinkError, build_context, remember_link
from ..sidebar.batch import PgReader
from ..sidebar.queries import AGENT_PREFIX
from ..sidebar.context import CustomerNotFound, assemble, first_reads
from .auth import INVALID_TOKEN, authenticate, bearer_token, current_principal, require_auth
from .errors import ApiError
from .fields import Int64

blp = Blueprint("sidebar", __name__, url_prefix="/api/v1/sidebar", description="Sidebar billing context")
MAX_EMAILS = 20


class ContextArgs(Schema):
    email = fields.List(fields.Str(validate=validate.Length(1, 320), metadata={"format": "email"}), load_default=list,
                        validate=validate.Length(max=MAX_EMAILS),
                        metadata={"description": "A requester address; repeat for several (case-insensitive)"})
    ticket = fields.Str(validate=validate.Length(max=64), metadata={"description": "The helpdesk ticket id"})
    customer_id = Int64(validate=validate.Range(min=1),
                        metadata={"description": "The customer the agent picked among several matches"})


class LinkArgs(Schema):
    email = fields.Str(required=True, validate=validate.Length(1, 320), metadata={"format": "email"})
    customer_id = Int64(required=True, validate=validate.Range(min=1))


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
    @blp.doc(parameters=[{"in": "query", "schema": ContextArgs}])
    @blp.response(200, description="The sidebar view model: matches, the selected customer's billing, "
                                   "allowed actions, recent runs, or an empty state")
    def get(self):
        """Billing context for a ticket's requester (sidebar token or API key)."""
        claims = read_sidebar_token(bearer_token())
        try:
            if claims is not None and db.engine().dialect.name == "postgresql":
                view = context_in_one_round_trip(db.engine(), claims, request.args)
            else:
                view = _context_in_session(claims)
        except CustomerNotFound as exc:
            raise ApiError(404, str(exc), {"customer_id": ["Unknown customer."]}) from None
        return Response(orjson.dumps(view), mimetype="application/json")


def context_in_one_round_trip(engine: Engine, claims: SidebarClaims, args) -> dict:
    """The sidebar's hot path (also served beside Flask: sidebar_hot_path): a bare autocommit
    connection, and the agent's check (still enabled, installation active) in the same round trip
    as the account and the matches with their pre-built billing: one statement for one requester
    email, else one pipeline. Nothing read is used unless the agent checks out. Needs no Flask
    context (the hot path runs outside one)."""
    query = context_query(args)
    with db.raw_autocommit(engine) as raw:
        reader = PgReader(raw, engine.dialect)
        if claims.read_only:
            principal = _viewer(raw, engine, claims)
            rows = reader.fetch(first_reads(claims.account_id, query, prebuilt=True)) if principal else {}
        elif len(query.emails) == 1 and query.customer_id is None:
            principal, rows = _opening(reader, claims, query)
        else:
            rows = reader.fetch({"agent": agent_params(claims)} | first_reads(claims.account_id, query, prebuilt=True))
            principal = principal_from_row(claims, next(iter(rows.pop("agent")), None))
        if principal is None:
            raise ApiError(401, INVALID_TOKEN)
        return assemble(reader, principal, query, rows, as_json=True)


def _viewer(raw, engine: Engine, claims: SidebarClaims):
    """The read-only principal of a viewer token (its own small read: unlinked agents are rare)."""
    sql, defaults = _compiled_viewer_statement(engine.dialect)
    return viewer_principal(claims, raw.execute(sql, {**defaults, **viewer_params(claims)}).fetchone())


@lru_cache(maxsize=2)
def _compiled_viewer_statement(dialect) -> tuple[str, dict]:
    compiled = viewer_statement().compile(dialect=dialect)
    return compiled.string, dict(compiled.params)


def _opening(reader: PgReader, claims: SidebarClaims, query: ContextQuery):
    """(principal or None, first-read rows) from the single `opening` statement."""
    params = agent_params(claims) | {"email": query.emails[0]}
    rows = reader.fetch({"opening": params})["opening"]
    if not rows:
        return None, {}
    principal = principal_from_row(claims, rows[0], prefix=AGENT_PREFIX)
    return principal, {"account": rows[:1], "matches_one": [row for row in rows if row.id is not None]}


def _context_in_session(claims: SidebarClaims | None) -> dict:
    """API keys, and SQLite (the demo): the usual authentication (a read-only token: its own
    check), reads in an autocommit session."""
    db.use_autocommit()
    if claims is not None and claims.read_only:
        principal = viewer_principal_in_session(session(), claims)
        if principal is None:
            raise ApiError(401, INVALID_TOKEN)
    else:
        principal = authenticate()
    return build_context(session(), principal, context_query(request.args), as_json=True)


def context_query(args) -> ContextQuery:
    """The query string, checked by hand with ContextArgs' rules (the sidebar's hottest path:
    a marshmallow load costs more than the rest of the request's Python)."""
    errors: dict[str, list[str]] = {}
    raw = args.getlist("email")
    if len(raw) > MAX_EMAILS:
        errors["email"] = [f"At most {MAX_EMAILS} addresses."]
    elif any(len(value) > 320 for value in raw):
        errors["email"] = ["An address is longer than 320 characters."]
    ticket = args.get("ticket")
    if ticket is not None and len(ticket) > 64:
        errors["ticket"] = ["Longer than 64 characters."]
    customer_id = args.get("customer_id")
    if customer_id is not None:
        customer_id = int(customer_id) if customer_id.isascii() and customer_id.isdigit() else None
        if customer_id is None or not 1 <= customer_id < 2**63:
            errors["customer_id"] = ["Not a valid customer id (a positive integer)."]
    if errors:
        raise ApiError(422, "The request has invalid fields; see errors.", {"query": errors})
    emails = requester_emails(raw)
    if not emails and customer_id is None:
        raise ApiError(422, "Send at least one requester email (email=...) or a customer_id.",
                       {"email": ["Missing data for required field."]})
    return ContextQuery(emails=emails, ticket=ticket, customer_id=customer_id)


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

"""The audit trail for admins and finance: filtered, cursor-paginated, and as CSV.

GET /api/v1/audit?user_id=&event=&kind=&customer_id=&since=&until=&limit=&cursor=[&format=csv]
GET /api/v1/audit.csv?...   the same filters, the whole trail as a CSV download
"""
from __future__ import annotations

from datetime import timezone

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..audit.query import AuditFilter, csv_lines, entry_view, page
from ..db import session
from .auth import current_principal, require_auth
from .errors import ApiError

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit trail")
READER_ROLES = ("owner", "admin", "viewer")


class AuditQuery(Schema):
    user_id = fields.Integer(metadata={"description": "Entries by this user"})
    event = fields.String(metadata={"description": "Exact event (action.succeeded) or a prefix with * (action.*)"})
    kind = fields.String(metadata={"description": "Action kind, e.g. refund"})
    customer_id = fields.Integer()
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "ISO 8601 (UTC if no offset), inclusive"})
    until = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "ISO 8601 (UTC if no offset), exclusive"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.String(metadata={"description": "next_cursor of the previous page"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class AuditPage(Schema):
    data = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


def _filter(args: dict) -> AuditFilter:
    if args.get("since") and args.get("until") and args["since"] >= args["until"]:
        raise ApiError(422, "since must be before until.", {"since": ["Not before until."]})
    return AuditFilter(user_id=args.get("user_id"), event=args.get("event"), kind=args.get("kind"),
                       customer_id=args.get("customer_id"), since=args.get("since"), until=args.get("until"))


def _reader_account() -> int:
    principal = current_principal()
    if principal.role not in READER_ROLES:
        raise ApiError(403, "Only owners, admins and viewers can read the audit trail.")
    return principal.account_id


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise ApiError(422, "cursor must be the next_cursor of a previous page.", {"cursor": ["Invalid."]})
    return int(raw)


def _csv(account_id: int, f: AuditFilter) -> Response:
    body = stream_with_context(csv_lines(session(), account_id, f))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


@blp.route("/audit")
class AuditCollection(MethodView):
    decorators = [require_auth]

    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditPage)
    @blp.alt_response(200, description="CSV when format=csv", content_type="text/csv")
    def get(self, args):
        """Audit entries of the account, newest first; `format=csv` exports all matching entries."""
        account_id, f = _reader_account(), _filter(args)
        if args["format"] == "csv":
            return _csv(account_id, f)
        rows, next_seq = page(session(), account_id, f, limit=args["limit"], before_seq=_cursor(args.get("cursor")))
        return {"data": [entry_view(e) for e in rows], "next_cursor": None if next_seq is None else str(next_seq)}


@blp.route("/audit.csv")
class AuditCsv(MethodView):
    decorators = [require_auth]

    @blp.arguments(AuditQuery, location="query")
    @blp.alt_response(200, description="All matching entries, oldest first", content_type="text/csv")
    def get(self, args):
        """The filtered trail as CSV (spreadsheet-safe)."""
        return _csv(_reader_account(), _filter(args))

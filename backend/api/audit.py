"""The audit trail for admins and finance: filtered, cursor-paginated, and as CSV.

GET /api/v1/audit?user_id=&event=&kind=&customer_id=&since=&until=&limit=&cursor=[&format=csv]
GET /api/v1/audit.csv?...   the same filters, the whole trail as a CSV download
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..audit.query import AuditFilter, csv_lines, entry_view, page
from ..db import session
from .auth import current_principal, require_auth
from .errors import ApiError
from .fields import INT64_MAX, Int64

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit trail")
READER_ROLES = ("owner", "admin", "viewer")


class AuditQuery(Schema):
    user_id = Int64(metadata={"description": "Entries by this user"})
    event = fields.String(metadata={"description": "Exact event (action.succeeded) or a prefix with * (action.*)"})
    kind = fields.String(metadata={"description": "Action kind, e.g. refund"})
    customer_id = Int64()
    since = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "ISO 8601 (UTC if no offset), inclusive"})
    until = fields.AwareDateTime(default_timezone=timezone.utc,
                                 metadata={"description": "ISO 8601 (UTC if no offset), exclusive"})
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.String(validate=validate.Regexp(r"^[0-9]{1,19}$", error="Not a cursor of this API."),
                           metadata={"description": "next_cursor of the previous page"})
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
    """A page's next_cursor (ASCII digits only: str.isdigit() also takes '²'); past the largest
    sequence number it means "from the newest"."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ApiError(422, "cursor must be the next_cursor of a previous page.", {"cursor": ["Invalid."]})
    return min(int(raw), INT64_MAX)


def _csv(account_id: int, f: AuditFilter) -> Response:
    """The CSV once its query has run: a failure is an error status, not a 200 cut after the header."""
    lines = csv_lines(session(), account_id, f)
    started = [next(lines), *_first_row(lines)]

    def rest() -> Iterator[str]:
        yield from started
        yield from lines

    return Response(stream_with_context(rest()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


def _first_row(lines: Iterator[str]) -> list[str]:
    """Runs the query (the generator executes it for its first row); [] when nothing matches."""
    row = next(lines, None)
    return [] if row is None else [row]


CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}


@blp.route("/audit")
class AuditCollection(MethodView):
    decorators = [require_auth]

    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditPage, description="A page of entries; with format=csv, all of them as CSV")
    @blp.doc(responses={"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditPage"}},
                                            **CSV_CONTENT}}})
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
    @blp.doc(responses={"200": {"description": "All matching entries, oldest first", "content": CSV_CONTENT}})
    def get(self, args):
        """The filtered trail as CSV (spreadsheet-safe)."""
        return _csv(_reader_account(), _filter(args))

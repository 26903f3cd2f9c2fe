"""Receipts and credit notes: list, read, download the PDF, (re)send by email. Tenant-scoped.

GET  /api/v1/documents                 ?customer_id, charge_id, kind, number, since, until, limit, after
GET  /api/v1/documents/<id>
GET  /api/v1/documents/<id>/pdf
POST /api/v1/documents/<id>/send       {to?}  (queues the email; 202)
GET  /api/v1/documents/shared/<token>  the PDF behind a signed, expiring link (no API key)
"""
from __future__ import annotations

import re

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from ..audit.chain import append as audit_append
from ..db import session
from ..emails import normalize_email
from ..models import Document
from ..tenancy import TenantScope
from .auth import current_principal, require_auth
from .errors import ApiError

blp = Blueprint("documents", __name__, url_prefix="/api/v1/documents", description="Receipts and credit notes")
MAX_ID = 2**63 - 1


class DocumentQuery(Schema):
    customer_id = fields.Int(validate=validate.Range(1, MAX_ID))
    charge_id = fields.Int(validate=validate.Range(1, MAX_ID))
    kind = fields.Str(validate=validate.OneOf(("receipt", "credit_note")))
    number = fields.Str(validate=validate.Length(1, 64), metadata={"description": "The printed number"})
    since = fields.DateTime(metadata={"description": "Issued at or after (ISO 8601)"})
    until = fields.DateTime(metadata={"description": "Issued before (ISO 8601)"})
    limit = fields.Int(load_default=50, validate=validate.Range(1, 200))
    after = fields.Int(validate=validate.Range(0, MAX_ID), metadata={"description": "Cursor: last id of the previous page"})


class DocumentView(Schema):
    id = fields.Int()
    kind = fields.Str()
    number = fields.Str()
    sequence = fields.Int()
    customer_id = fields.Int(allow_none=True)
    charge_id = fields.Int(allow_none=True)
    refund_id = fields.Int(allow_none=True)
    reverses_document_id = fields.Int(allow_none=True)
    currency = fields.Str()
    total = fields.Int(metadata={"description": "Minor units of the currency"})
    locale = fields.Str()
    issued_at = fields.Str()
    rendered = fields.Bool()
    send_status = fields.Str()
    send_error = fields.Str(allow_none=True)
    sent_to = fields.Str(allow_none=True)
    sent_at = fields.Str(allow_none=True)
    gateway_invoice_number = fields.Str(allow_none=True)
    pdf_url = fields.Str()


class DocumentList(Schema):
    data = fields.List(fields.Nested(DocumentView))
    next_after = fields.Int(allow_none=True)


class SendRequest(Schema):
    to = fields.Str(validate=validate.Length(3, 320), metadata={"description": "Another address (default: the customer's)"})

    @validates("to")
    def _is_email(self, value, **_kwargs):
        if normalize_email(value) is None:
            raise ValidationError(f"{value!r} is not an email address")


class SendAccepted(Schema):
    id = fields.Int()
    queued = fields.Bool()
    to = fields.Str(allow_none=True)


def document_view(d: Document) -> dict:
    return {"id": d.id, "kind": d.kind, "number": d.display_number, "sequence": d.number,
            "customer_id": d.customer_id, "charge_id": d.charge_id, "refund_id": d.refund_id,
            "reverses_document_id": d.reverses_document_id, "currency": d.currency, "total": d.total_minor,
            "locale": d.locale, "issued_at": d.created_at.isoformat(), "rendered": d.storage_key is not None,
            "send_status": d.send_status, "send_error": d.send_error, "sent_to": d.sent_to,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            "gateway_invoice_number": (d.content or {}).get("gateway_invoice_number") or None,
            "pdf_url": f"/api/v1/documents/{d.id}/pdf"}


def _scope() -> TenantScope:
    return TenantScope(session(), current_principal().account_id)


def _document(document_id: int) -> Document:
    doc = _scope().get(Document, document_id) if 0 < document_id <= MAX_ID else None
    if doc is None:
        raise ApiError(404, f"no document {document_id}")
    return doc


@blp.route("")
class DocumentCollection(MethodView):
    decorators = [require_auth]

    @blp.arguments(DocumentQuery, location="query")
    @blp.response(200, DocumentList)
    def get(self, args):
        """Documents of the calling account, newest id last; filters combine."""
        stmt = _scope().select(Document).order_by(Document.id).limit(args["limit"])
        for key, column in (("customer_id", Document.customer_id), ("charge_id", Document.charge_id),
                            ("kind", Document.kind), ("number", Document.display_number)):
            if key in args:
                stmt = stmt.where(column == args[key])
        if "since" in args:
            stmt = stmt.where(Document.created_at >= args["since"])
        if "until" in args:
            stmt = stmt.where(Document.created_at < args["until"])
        if "after" in args:
            stmt = stmt.where(Document.id > args["after"])
        rows = list(session().scalars(stmt))
        return {"data": [document_view(d) for d in rows],
                "next_after": rows[-1].id if len(rows) == args["limit"] else None}


@blp.route("/<int:document_id>")
class DocumentItem(MethodView):
    decorators = [require_auth]

    @blp.response(200, DocumentView)
    def get(self, document_id: int):
        """One document."""
        return document_view(_document(document_id))


@blp.route("/<int:document_id>/pdf")
class DocumentPdf(MethodView):
    decorators = [require_auth]

    @blp.response(200, content_type="application/pdf")
    def get(self, document_id: int):
        """The PDF (rendered now if its worker has not finished it yet)."""
        return _pdf_response(_document(document_id))


@blp.route("/<int:document_id>/send")
class DocumentSend(MethodView):
    decorators = [require_auth]

    @blp.arguments(SendRequest)
    @blp.response(202, SendAccepted)
    def post(self, args, document_id: int):
        """Email the document again (to the customer, or to `to`); audited."""
        from ..documents.delivery import customer_email, queue_send

        principal = current_principal()
        if not principal.can_act:
            raise ApiError(403, f"role {principal.role!r} may not send documents")
        doc = _document(document_id)
        to = normalize_email(args["to"]) if "to" in args else None
        if to is None and not customer_email(doc):
            raise ApiError(422, "the document's customer has no email address; pass 'to'", {"to": ["required"]})
        s = session()
        audit_append(s, account_id=doc.account_id, event="document.send_requested", actor=principal.audit_actor(),
                     subject_type="document", subject_id=str(doc.id), customer_id=doc.customer_id,
                     details={"number": doc.display_number, "to": to or "customer"})
        s.commit()
        queue_send(doc, to=to, explicit=True)
        return {"id": doc.id, "queued": True, "to": to}


@blp.route("/shared/<string:token>")
class SharedPdf(MethodView):
    @blp.response(200, content_type="application/pdf")
    def get(self, token: str):
        """The PDF behind a signed link from a document email (expires)."""
        from ..documents.links import LinkError, open_link

        try:
            account_id, document_id = open_link(token)
        except LinkError as exc:
            raise ApiError(403, str(exc)) from None
        doc = TenantScope(session(), account_id).get(Document, document_id)
        if doc is None:
            raise ApiError(404, "this document no longer exists")
        return _pdf_response(doc)


def _pdf_response(doc: Document) -> Response:
    from ..documents.store import read_pdf

    resp = Response(read_pdf(doc), mimetype="application/pdf")
    filename = re.sub(r"[^A-Za-z0-9._-]+", "_", doc.display_number)
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp

"""Read-only API over the mirror: find customers by email, read one with its billing history."""
from __future__ import annotations

from collections import defaultdict

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from .. import presenters as p
from ..db import session
from ..emails import normalize_email
from ..models import (
    Charge, Customer, CustomerEmail, Dispute, Invoice, InvoiceLine, InvoiceTaxLine, Refund, Subscription, TaxId,
)
from ..tenancy import TenantScope
from .auth import current_principal, require_auth
from .errors import ApiError
from .fields import Int64

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Mirrored customers")


class CustomerQuery(Schema):
    email = fields.Str(validate=validate.Length(1, 320),
                       metadata={"description": "Any address of the customer (case-insensitive)", "format": "email"})
    limit = fields.Int(load_default=50, validate=validate.Range(1, 200))
    after = Int64(metadata={"description": "Cursor: the last id of the previous page"})


class CustomerSummary(Schema):
    id = fields.Int()
    connection_id = fields.Int()
    external_id = fields.Str()
    email = fields.Str(allow_none=True)
    name = fields.Str(allow_none=True)
    currency = fields.Str(allow_none=True)
    created_at = fields.Str(allow_none=True)
    deleted = fields.Bool()


class CustomerList(Schema):
    data = fields.List(fields.Nested(CustomerSummary))
    next_after = Int64(allow_none=True)


class CustomerDetail(CustomerSummary):
    charges = fields.List(fields.Dict())
    refunds = fields.List(fields.Dict())
    subscriptions = fields.List(fields.Dict())
    invoices = fields.List(fields.Dict())
    tax_ids = fields.List(fields.Dict())
    disputes = fields.List(fields.Dict())


def _scope() -> TenantScope:
    return TenantScope(session(), current_principal().account_id)


@blp.route("")
class CustomerCollection(MethodView):
    decorators = [require_auth]

    @blp.arguments(CustomerQuery, location="query")
    @blp.response(200, CustomerList)
    def get(self, args):
        """Customers of the calling account, optionally those with a given email."""
        scope = _scope()
        stmt = scope.select(Customer).order_by(Customer.id).limit(args["limit"])
        if "email" in args:
            email = normalize_email(args["email"])
            if email is None:
                raise ApiError(422, f"{args['email']!r} is not an email address", {"email": ["invalid"]})
            ids = select(CustomerEmail.customer_id).where(
                CustomerEmail.account_id == scope.account_id, CustomerEmail.email == email)
            stmt = stmt.where(Customer.id.in_(ids))
        if "after" in args:
            stmt = stmt.where(Customer.id > args["after"])
        rows = list(session().scalars(stmt))
        next_after = rows[-1].id if len(rows) == args["limit"] else None
        return {"data": [p.customer_summary(c) for c in rows], "next_after": next_after}


@blp.route("/<int:customer_id>")
class CustomerItem(MethodView):
    decorators = [require_auth]

    @blp.response(200, CustomerDetail)
    def get(self, customer_id: int):
        """One customer with charges, refunds, subscriptions, invoices, tax IDs and disputes."""
        scope = _scope()
        customer = scope.get(Customer, customer_id)
        if customer is None:
            raise ApiError(404, f"no customer {customer_id}")
        return customer_detail(scope, customer)


def customer_detail(scope: TenantScope, customer: Customer) -> dict:
    charges = scope.all(Charge, Charge.customer_id == customer.id, order_by=Charge.gateway_created_at.desc())
    charge_ids = [c.id for c in charges]
    refunds = scope.all(Refund, Refund.charge_id.in_(charge_ids), order_by=Refund.id) if charge_ids else []
    disputes = scope.all(Dispute, Dispute.charge_id.in_(charge_ids)) if charge_ids else []
    invoices = scope.all(Invoice, Invoice.customer_id == customer.id, order_by=Invoice.gateway_created_at.desc())
    lines, taxes = _invoice_children(scope, [i.id for i in invoices])
    return p.customer_summary(customer) | {
        "charges": [p.charge_view(c) for c in charges],
        "refunds": [p.refund_view(r) for r in refunds],
        "subscriptions": [p.subscription_view(s) for s in scope.all(
            Subscription, Subscription.customer_id == customer.id, order_by=Subscription.id)],
        "invoices": [p.invoice_view(i, lines[i.id], taxes[i.id]) for i in invoices],
        "tax_ids": [p.tax_id_view(t) for t in scope.all(
            TaxId, TaxId.customer_id == customer.id, TaxId.deleted_at.is_(None), order_by=TaxId.id)],
        "disputes": [p.dispute_view(d) for d in disputes],
    }


def _invoice_children(scope: TenantScope, invoice_ids: list[int]):
    lines, taxes = defaultdict(list), defaultdict(list)
    if invoice_ids:
        for ln in scope.all(InvoiceLine, InvoiceLine.invoice_id.in_(invoice_ids), order_by=InvoiceLine.position):
            lines[ln.invoice_id].append(ln)
        for t in scope.all(InvoiceTaxLine, InvoiceTaxLine.invoice_id.in_(invoice_ids), order_by=InvoiceTaxLine.id):
            taxes[t.invoice_id].append(t)
    return lines, taxes

"""Add a tax ID (VAT, GST, ABN ...) to a customer at the gateway, which shows it on invoices."""
from __future__ import annotations

import re

from marshmallow import Schema, fields, validate as v

from ..integrations.gateways.contract import Capability, Operation
from ..models import TaxId
from .base import ActionContext, conflict, load_params, require

KIND = "add_tax_id"
TARGET_TYPES = ("customer",)
OPERATION = Operation.ADD_TAX_ID
REASON_REQUIRED = False
LIMITED_BY_REFUND_LIMIT = False
TYPE_PATTERN = re.compile(r"^[a-z]{2,3}_[a-z0-9_]{2,12}$")  # Stripe's vocabulary: eu_vat, gb_vat, au_abn


class Params(Schema):
    type = fields.String(required=True, validate=v.Regexp(TYPE_PATTERN, error="Use a type such as eu_vat or gb_vat."))
    value = fields.String(required=True, validate=v.Length(2, 64))


def supported(target_type: str, capabilities) -> bool:
    return Capability.TAX_IDS in capabilities


def available(target_type: str, customer) -> bool:
    return customer.deleted_at is None


def _normalized_value(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value).upper()


def validate(target_type: str, customer, params, ctx: ActionContext) -> dict:
    values = load_params(Params, params, KIND)
    if customer.deleted_at is not None:
        raise conflict("This customer was deleted at the gateway.")
    value = _normalized_value(values["value"])
    if ctx.scope is not None and ctx.scope.all(
            TaxId, TaxId.customer_id == customer.id, TaxId.type == values["type"], TaxId.value == value,
            TaxId.deleted_at.is_(None)):
        raise conflict(f"This customer already has the tax ID {values['type']} {value}.")
    require(ctx, [Capability.TAX_IDS], "store tax IDs")
    return {"type": values["type"], "value": value}


def snapshot(target_type: str, customer) -> dict:
    return {"customer": customer.external_id}


def perform(adapter, run) -> list:
    return [adapter.add_tax_id(customer_id=run.target_external_id, type=run.params["type"],
                               value=run.params["value"], idempotency_key=run.id)]


def describe(run, records) -> str:
    return f"Added tax ID {run.params['type']} {run.params['value']}"

"""GET /api/v1/account: who the key belongs to (also the simplest authenticated call)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..db import session
from ..models import Account
from .auth import current_principal, require_auth

blp = Blueprint("account", __name__, url_prefix="/api/v1/account", description="The calling account")


class AccountSchema(Schema):
    id = fields.Int()
    slug = fields.Str()
    name = fields.Str()
    default_currency = fields.Str()
    principal = fields.Dict()


@blp.route("")
class AccountView(MethodView):
    decorators = [require_auth]

    @blp.response(200, AccountSchema)
    def get(self):
        """The account of the API key, and how the caller is seen."""
        principal = current_principal()
        account = session().get(Account, principal.account_id)
        return {
            "id": account.id, "slug": account.slug, "name": account.name,
            "default_currency": account.default_currency,
            "principal": {"kind": principal.kind, "role": principal.role, "name": principal.display_name},
        }

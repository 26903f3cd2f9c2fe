"""Read-only customers API over the local mirror (placeholder until the sync lands)."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Mirrored customers")

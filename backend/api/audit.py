"""Audit trail API (filled in with the audit chain)."""
from flask_smorest import Blueprint

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit trail")

"""One-click actions API (filled in by the actions pipeline)."""
from flask_smorest import Blueprint

blp = Blueprint("actions", __name__, url_prefix="/api/v1/actions", description="One-click actions")

"""Billing context for sidebars (filled in with the sidebar)."""
from flask_smorest import Blueprint

blp = Blueprint("sidebar", __name__, url_prefix="/api/v1/sidebar", description="Sidebar billing context")

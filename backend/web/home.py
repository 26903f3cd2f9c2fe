"""The landing page: what this instance is and where to go next.

It is public, so it says nothing about the tenants (no counts of accounts, customers, charges).
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    links = current_app.config.get("HOME_LINKS", [])
    return render_template("home.html", links=links, env=current_app.config["SETTINGS"].env)

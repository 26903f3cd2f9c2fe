"""The landing page: what this instance is and where to go next."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import func, select

from ..db import session
from ..models import Account, Charge, Customer, GatewayConnection

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    s = session()
    counts = {
        "accounts": s.scalar(select(func.count()).select_from(Account)),
        "connections": s.scalar(select(func.count()).select_from(GatewayConnection)),
        "customers": s.scalar(select(func.count()).select_from(Customer)),
        "charges": s.scalar(select(func.count()).select_from(Charge)),
    }
    links = current_app.config.get("HOME_LINKS", [])
    return render_template("home.html", counts=counts, links=links, env=current_app.config["SETTINGS"].env)

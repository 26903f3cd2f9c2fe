"""The admin page: account, gateway connections, helpdesk installations, agents (editable).

Generic: a helpdesk's own settings (Zendesk's app key ...) are the host's routes and partial
template (`<kind>/admin_installation.html`, bound by HelpdeskHost.init_app); this module only
offers what every installation has: its status and a reconnect through the host's OAuth.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.db import session as db_session, transaction
from backend.integrations.helpdesks import helpdesk_host, helpdesk_names
from backend.models import GatewayConnection, HelpdeskInstallation, User

from .auth import current_viewer, sign_in_required
from .changes import FormError, describe_limit, refund_limit_text, update_agent
from .host_settings import save_host_settings
from .notices import announce_key_change
from .pages import message_page
from .signin import begin_oauth


def register_dashboard_routes(bp: Blueprint) -> None:
    bp.add_url_rule("", "dashboard", sign_in_required(dashboard), methods=["GET"])
    bp.add_url_rule("/users/<int:user_id>", "update_user", sign_in_required(update_user), methods=["POST"])
    bp.add_url_rule("/helpdesks/<int:installation_id>/reconnect", "reconnect_helpdesk",
                    sign_in_required(reconnect_helpdesk), methods=["POST"])
    bp.add_url_rule("/helpdesks/<int:installation_id>/settings", "save_helpdesk_settings",
                    sign_in_required(save_helpdesk_settings), methods=["POST"])


def dashboard(error: str | None = None, status: int = 200) -> Response:
    viewer = current_viewer()
    s, account = db_session(), viewer.account
    connections = s.scalars(select(GatewayConnection).where(GatewayConnection.account_id == account.id)
                            .order_by(GatewayConnection.id)).all()
    installations = s.scalars(select(HelpdeskInstallation).where(HelpdeskInstallation.account_id == account.id)
                              .order_by(HelpdeskInstallation.id)).all()
    users = s.scalars(select(User).where(User.account_id == account.id).order_by(User.id)).all()
    html = render_template(
        "admin/dashboard.html", viewer=viewer, account=account, connections=connections,
        installations=installations, users=users, error=error, label_of=_label_of, host_of=_host_of,
        limit_text=lambda u: refund_limit_text(u, account.default_currency),
        limit_label=lambda u: describe_limit(u, account.default_currency),
        utc_time=lambda ts: datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return Response(html, status=status, mimetype="text/html")


def update_user(user_id: int) -> Response:
    try:
        with transaction() as s:
            changed = update_agent(s, current_viewer(), user_id, role=request.form.get("role", ""),
                                   refund_limit=request.form.get("refund_limit", ""), source=admin_source())
    except FormError as exc:
        return refused(exc)
    flash("Saved." if changed else "Nothing changed.")
    return redirect(url_for("admin.dashboard"))


def reconnect_helpdesk(installation_id: int) -> Response:
    """Send a helpdesk admin through the host's OAuth again; their fresh grant replaces the revoked one."""
    viewer = current_viewer()
    installation = db_session().get(HelpdeskInstallation, installation_id)
    if installation is None or installation.account_id != viewer.account.id or installation.kind not in helpdesk_names():
        return message_page(404, "No such installation", "That helpdesk installation is not part of this account.")
    if not viewer.can_manage:
        return message_page(403, "Only owners and admins can reconnect", "Ask an account admin.")
    return begin_oauth(installation.kind, installation.external_id)


def save_helpdesk_settings(installation_id: int) -> Response:
    """The generic settings form of a host (its declared admin_settings)."""
    try:
        with transaction() as s:
            change = save_host_settings(s, current_viewer(), installation_id, request.form, source=admin_source())
    except FormError as exc:
        return refused(exc)
    return saved_with_notice(change.key_change_entry_id, bool(change.changed), "Helpdesk settings saved.")


def saved_with_notice(key_change_entry_id: int | None, changed: bool, message: str,
                      unchanged: str = "Nothing changed.") -> Response:
    """Back to the page with a flash; a key change also queues the owners' notice."""
    if key_change_entry_id is not None and not announce_key_change(key_change_entry_id):
        message += " The owners could not be emailed (the job queue is down); the audit log has the change."
    elif key_change_entry_id is not None:
        message += " Every owner is being emailed about the key change."
    flash(message if changed else unchanged)
    return redirect(url_for("admin.dashboard"))


def refused(exc: FormError) -> Response:
    """The page again, with the refusal above it (nothing of the form was written)."""
    db_session().rollback()
    return dashboard(error=str(exc), status=exc.status)


def admin_source() -> dict:
    return {"via": "admin", "ip": request.remote_addr}


def _label_of(kind: str) -> str:
    return helpdesk_host(kind).label if kind in helpdesk_names() else kind.title()


def _host_of(kind: str):
    return helpdesk_host(kind) if kind in helpdesk_names() else None

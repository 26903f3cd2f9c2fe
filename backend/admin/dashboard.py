"""The admin page: account, gateway connections, the Zendesk installation, agents (editable)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.db import session as db_session, transaction
from backend.models import GatewayConnection, HelpdeskInstallation, User

from .auth import current_viewer, sign_in_required
from .app_keys import AppChange, fetch_zendesk_app_key, save_fetched_key, update_zendesk_app
from .changes import FormError, describe_limit, refund_limit_text, update_agent
from .notices import announce_key_change
from .pages import message_page
from .signin import begin_oauth


def register_dashboard_routes(bp: Blueprint) -> None:
    bp.add_url_rule("", "dashboard", sign_in_required(dashboard), methods=["GET"])
    bp.add_url_rule("/users/<int:user_id>", "update_user", sign_in_required(update_user), methods=["POST"])
    bp.add_url_rule("/zendesk/<int:installation_id>/app", "update_zendesk_app",
                    sign_in_required(save_zendesk_app), methods=["POST"])
    bp.add_url_rule("/zendesk/<int:installation_id>/app/fetch-key", "fetch_zendesk_key",
                    sign_in_required(fetch_zendesk_key), methods=["POST"])
    bp.add_url_rule("/zendesk/<int:installation_id>/reconnect", "reconnect_zendesk",
                    sign_in_required(reconnect_zendesk), methods=["POST"])


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
        installations=installations, users=users, error=error,
        limit_text=lambda u: refund_limit_text(u, account.default_currency),
        limit_label=lambda u: describe_limit(u, account.default_currency),
        utc_time=lambda ts: datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return Response(html, status=status, mimetype="text/html")


def update_user(user_id: int) -> Response:
    try:
        with transaction() as s:
            changed = update_agent(s, current_viewer(), user_id, role=request.form.get("role", ""),
                                   refund_limit=request.form.get("refund_limit", ""), source=_source())
    except FormError as exc:
        return _refused(exc)
    flash("Saved." if changed else "Nothing changed.")
    return redirect(url_for("admin.dashboard"))


def save_zendesk_app(installation_id: int) -> Response:
    """The settings form (owners: installation id and pasted key; admins: the support email)."""
    form = request.form
    try:
        with transaction() as s:
            change = update_zendesk_app(
                s, current_viewer(), installation_id, app_installation_id=form.get("app_installation_id"),
                public_key_pem=form.get("public_key_pem"), support_email=form.get("support_email"),
                source=_source())
    except FormError as exc:
        return _refused(exc)
    return _saved(change, "Zendesk app settings saved.")


def fetch_zendesk_key(installation_id: int) -> Response:
    """Owners: take the app's public key from Zendesk (the installation's OAuth token)."""
    try:
        fetched = fetch_zendesk_app_key(db_session(), current_viewer(), installation_id,
                                        app_installation_id=request.form.get("app_installation_id"))
        with transaction() as s:
            change = save_fetched_key(s, current_viewer(), installation_id, fetched, source=_source())
    except FormError as exc:
        return _refused(exc)
    return _saved(change, "The app key was fetched from Zendesk and saved.",
                  unchanged="The app key in ChargeDesk already matches Zendesk's.")


def _saved(change: AppChange, message: str, unchanged: str = "Nothing changed.") -> Response:
    if change.key_change_entry_id is not None and not announce_key_change(change.key_change_entry_id):
        message += " The owners could not be emailed (the job queue is down); the audit log has the change."
    elif change.key_change_entry_id is not None:
        message += " Every owner is being emailed about the key change."
    flash(message if change.changed else unchanged)
    return redirect(url_for("admin.dashboard"))


def reconnect_zendesk(installation_id: int) -> Response:
    """Send a Zendesk admin through OAuth again; their fresh grant replaces the revoked one."""
    viewer = current_viewer()
    installation = db_session().get(HelpdeskInstallation, installation_id)
    if installation is None or installation.account_id != viewer.account.id or installation.kind != "zendesk":
        return message_page(404, "No such installation", "That Zendesk installation is not part of this account.")
    if not viewer.can_manage:
        return message_page(403, "Only owners and admins can reconnect", "Ask an account admin.")
    return begin_oauth(installation.external_id)


def _refused(exc: FormError) -> Response:
    db_session().rollback()
    return dashboard(error=str(exc), status=exc.status)


def _source() -> dict:
    return {"via": "admin", "ip": request.remote_addr}

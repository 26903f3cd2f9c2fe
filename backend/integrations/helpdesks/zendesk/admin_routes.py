"""Zendesk's own admin pages: the app's verification settings (installation id, public key, fetched
from Zendesk or pasted) and the support email; bound under /admin/zendesk by ZendeskHost.init_app.

The rules (owners only for the key, audited, every owner mailed) live in app_keys.py; the page
part is templates/zendesk/admin_installation.html, included by the generic admin page.
"""
from __future__ import annotations

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import BadRequest

from backend.admin import bad_request
from backend.admin.auth import current_viewer, sign_in_required
from backend.admin.changes import FormError
from backend.admin.csrf import check_csrf, csrf_token
from backend.admin.dashboard import admin_source, reconnect_helpdesk, refused, saved_with_notice
from backend.db import session as db_session, transaction

from .app_keys import fetch_zendesk_app_key, save_fetched_key, update_zendesk_app

bp = Blueprint("zendesk_admin", __name__, url_prefix="/admin/zendesk", template_folder="templates")


def save_app(installation_id: int) -> Response:
    """The settings form (owners: installation id and pasted key; admins: the support email)."""
    form = request.form
    try:
        with transaction() as s:
            change = update_zendesk_app(
                s, current_viewer(), installation_id, app_installation_id=form.get("app_installation_id"),
                public_key_pem=form.get("public_key_pem"), support_email=form.get("support_email"),
                source=admin_source())
    except FormError as exc:
        return refused(exc)
    return saved_with_notice(change.key_change_entry_id, bool(change.changed), "Zendesk app settings saved.")


def fetch_key(installation_id: int) -> Response:
    """Owners: take the app's public key from Zendesk (the installation's OAuth token)."""
    try:
        fetched = fetch_zendesk_app_key(db_session(), current_viewer(), installation_id,
                                        app_installation_id=request.form.get("app_installation_id"))
        with transaction() as s:
            change = save_fetched_key(s, current_viewer(), installation_id, fetched, source=admin_source())
    except FormError as exc:
        return refused(exc)
    return saved_with_notice(change.key_change_entry_id, bool(change.changed),
                             "The app key was fetched from Zendesk and saved.",
                             unchanged="The app key in ChargeDesk already matches Zendesk's.")


def init_app(app: Flask) -> None:
    if bp.name in app.blueprints:
        return
    app.register_blueprint(bp)


bp.before_request(check_csrf)
bp.context_processor(lambda: {"csrf_token": csrf_token})  # a refusal renders the admin page again
bp.register_error_handler(BadRequest, bad_request)
bp.add_url_rule("/<int:installation_id>/app", "update_app", sign_in_required(save_app), methods=["POST"])
bp.add_url_rule("/<int:installation_id>/app/fetch-key", "fetch_key", sign_in_required(fetch_key), methods=["POST"])
# The reconnect URL of the admin page before helpdesks were generic; the generic route does the work.
bp.add_url_rule("/<int:installation_id>/reconnect", "reconnect", sign_in_required(reconnect_helpdesk),
                methods=["POST"])

"""The confirm page behind a dynamic app's action link: reason (and amount), then the action pipeline.

GET shows the form for a valid, unexpired link; POST checks the link again, its CSRF value and the
agent (still enabled, installation active), then submits through the same intake as the sidebar's
POST /api/v1/actions. The page's idempotency key makes a double submit one action. No cookies, no
scripts: the page is opened in a new tab from Help Scout.
"""
from __future__ import annotations

import uuid

from flask import Response, render_template_string, request

from backend.actions.base import ActionRejected
from backend.actions.intake import ActionRequest, reason_codes, submit_action
from backend.actions.targets import load_target
from backend.auth.sidebar_tokens import SidebarClaims, agent_params, agent_statement, principal_from_row
from backend.db import session
from backend.money import MoneyError, format_money, to_decimal_string, to_minor
from backend.models import ActionRun

from .action_links import ActionLink, LinkRefused, csrf_ok, csrf_value, read_link

KIND = "helpscout"
AMOUNT_FIELD = {"refund": "amount_refundable", "capture": "amount_capturable"}
TITLES = {"refund": "Refund charge", "capture": "Capture charge", "void": "Void charge",
          "cancel_subscription": "Cancel subscription", "send_invoice": "Send invoice"}
REASON_REQUIRED = ("refund", "cancel_subscription")
PAGE = """<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>ChargeDesk · {{ title }}</title><link rel=stylesheet href="{{ url_for('helpscout_sidebar.static', filename='confirm.css') }}">
<main class=cd-page><h1>{{ title }}</h1>
{% if message %}<p class="cd-msg cd-msg--{{ tone }}" role=status>{{ message }}</p>{% endif %}
{% if target %}<p class=cd-target data-target-id="{{ target_id }}">{{ target }}</p>{% endif %}
{% if form %}<form method=post action="{{ url_for('helpscout_sidebar.confirm_action') }}" class=cd-confirm>
<input type=hidden name=t value="{{ form.token }}"><input type=hidden name=key value="{{ form.key }}">
<input type=hidden name=csrf_token value="{{ form.csrf }}">
{% if form.amount_field %}<label>Amount ({{ form.currency }}) <input name=amount value="{{ form.amount }}" inputmode=decimal required></label>
<p class=cd-hint>At most {{ form.cap_display }}.</p>{% endif %}
<label>Reason <select name=reason {% if form.reason_required %}required{% endif %}><option value="">Choose…</option>
{% for r in form.reasons %}<option value="{{ r }}" {% if r == form.reason %}selected{% endif %}>{{ r|replace('_', ' ')|capitalize }}</option>{% endfor %}</select></label>
<label>Note <textarea name=note maxlength=2000>{{ form.note }}</textarea></label>
{% if form.kind == 'cancel_subscription' %}<label><input type=checkbox name=at_period_end value=1 checked> At the end of the billing period</label>{% endif %}
<button type=submit data-confirm="{{ form.kind }}">{{ title }}</button></form>{% endif %}
{% if run %}<p class=cd-run data-run="{{ run.id }}" data-status="{{ run.status }}">Status: {{ run.status|replace('_', ' ') }}.
{% if run.status in ('queued', 'running') %}<a href="{{ url_for('helpscout_sidebar.action_status', t=token, run=run.id) }}">Check again</a>{% endif %}</p>{% endif %}
</main></html>"""


def page(status: int, title: str, **values) -> Response:
    body = render_template_string(PAGE, title=title, **{"message": None, "tone": "red", "target": None, "form": None,
                                                        "run": None, "token": None, "target_id": None, **values})
    response = Response(body, status=status, mimetype="text/html")
    response.headers.update({
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": ("default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; "
                                    "frame-ancestors 'none'")})
    return response


def confirm_action() -> Response:
    token = request.values.get("t", "")
    try:
        link = read_link(token)
        principal = _principal(link)
        row, connection, account, _user = load_target(session(), link.account_id, link.target_type, link.target_id,
                                                      user_id=link.user_id)
    except LinkRefused as exc:
        return page(exc.status, "ChargeDesk", message=exc.message)
    except ActionRejected as exc:
        return page(exc.status, "ChargeDesk", message=exc.message)
    codes = list(reason_codes(account))
    if request.method == "GET":
        return page(200, TITLES.get(link.kind, link.kind), target=_describe(link, row), target_id=link.target_id,
                    form=_form(link, token, row, codes, key=str(uuid.uuid4())))
    return _submit(link, token, principal, row, codes)


def _submit(link: ActionLink, token: str, principal, row, codes) -> Response:
    key = request.form.get("key", "")
    title = TITLES.get(link.kind, link.kind)
    if not key or len(key) > 100 or not csrf_ok(token, key, request.form.get("csrf_token", "")):
        return page(403, title, message="This form is not valid any more. Open the action again from Help Scout.")
    form = _form(link, token, row, codes, key=key, values=request.form)
    try:
        params = _params(link, row, request.form)
        run, _created = submit_action(session(), principal, ActionRequest(
            kind=link.kind, target=link.target_id, target_type=link.target_type, idempotency_key=f"hs-{key}",
            params=params, reason=request.form.get("reason") or None, note=request.form.get("note") or None,
            source={"host": KIND, "ticket_id": link.ticket_id}, ip=request.remote_addr))
    except ActionRejected as exc:
        session().rollback()
        return page(exc.status, title, message=exc.message, target=_describe(link, row), form=form)
    return page(202 if run.status in ("queued", "running") else 200, title, tone="green", token=token,
                message=_done_message(run), target=_describe(link, row), run=run)


def action_status() -> Response:
    """GET: the run's state, for the agent who asked (same link token)."""
    token = request.args.get("t", "")
    try:
        link = read_link(token)
        _principal(link)
    except LinkRefused as exc:
        return page(exc.status, "ChargeDesk", message=exc.message)
    run = session().get(ActionRun, request.args.get("run", "")[:64])
    if run is None or run.account_id != link.account_id or run.requested_by_user_id != link.user_id:
        return page(404, "ChargeDesk", message="No such action.")
    return page(200, TITLES.get(run.kind, run.kind), tone="green", message=_done_message(run), run=run, token=token)


def _principal(link: ActionLink):
    claims = SidebarClaims(account_id=link.account_id, installation_id=link.installation_id, user_id=link.user_id,
                           host=KIND, external_user_id=link.external_user_id)
    row = session().connection().execute(agent_statement(), agent_params(claims)).one_or_none()
    principal = principal_from_row(claims, row)
    if principal is None:
        raise LinkRefused(403, "Your ChargeDesk user is disabled or Help Scout is disconnected; ask an account admin.")
    return principal


def _form(link: ActionLink, token: str, row, codes, *, key: str, values=None) -> dict:
    values = values or {}
    field = AMOUNT_FIELD.get(link.kind)
    currency = getattr(row, "currency", None) or ""
    cap = _cap(link, row)
    return {"token": token, "key": key, "csrf": csrf_value(token, key), "kind": link.kind,
            "amount_field": bool(field), "currency": currency,
            "amount": values.get("amount") or (to_decimal_string(cap, currency) if field and cap else ""),
            "cap_display": format_money(cap, currency) if field and currency else "",
            "reasons": codes, "reason": values.get("reason", ""), "note": values.get("note", ""),
            "reason_required": link.kind in REASON_REQUIRED}


def _cap(link: ActionLink, row) -> int:
    if link.kind == "refund":
        return max(int(row.amount_captured_minor or 0) - int(row.amount_refunded_minor or 0), 0)
    if link.kind == "capture":
        return int(row.amount_capturable_minor or 0)
    return 0


def _params(link: ActionLink, row, form) -> dict:
    if link.kind in AMOUNT_FIELD:
        try:
            amount = to_minor((form.get("amount") or "").replace(",", "."), row.currency)
        except MoneyError as exc:
            raise ActionRejected(422, f"Enter the amount like 12.50 ({exc}).", {"amount": ["Not an amount."]}) from None
        return {"amount": amount, "currency": row.currency}
    if link.kind == "cancel_subscription":
        return {"at_period_end": form.get("at_period_end") == "1"}
    return {}


def _describe(link: ActionLink, row) -> str:
    if link.target_type == "charge":
        return f"Charge {row.external_id}: {format_money(row.amount_minor, row.currency)}"
    if link.target_type == "subscription":
        return f"Subscription {row.external_id} ({row.plan_name or row.status})"
    return f"Invoice {getattr(row, 'number', None) or row.external_id}"


def _done_message(run: ActionRun) -> str:
    summary = (run.result or {}).get("summary")
    if run.status == "succeeded":
        return summary or "Done."
    if run.status == "pending_approval":
        return "Waiting for an admin's approval (above your refund limit)."
    if run.status in ("failed", "rejected"):
        return run.error_message or "The action failed."
    return "Requested. It runs in the background and a note will appear on the conversation."


__all__ = ["action_status", "confirm_action"]

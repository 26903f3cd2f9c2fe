"""The confirm canvas (amount, reason, note) and the result canvas of a one-click action.

Confirm submits to the same intake as POST /api/v1/actions (validation, limits, approvals); the
pending action's idempotency key rides in stored_data, so a double submit makes one run.
"""
from __future__ import annotations

import uuid
from typing import Any

from backend.actions.base import ActionRejected
from backend.actions.intake import ActionRequest, reason_codes, submit_action
from backend.actions.targets import load_target
from backend.db import session
from backend.money import MoneyError, format_money, to_decimal_string, to_minor
from backend.models import ActionRun
from backend.sidebar.allowed import REASON_LABELS

from .canvas import LABELS, button, table, text
from .pending import Pending

AMOUNT_FIELD = ("refund", "capture")
REASON_REQUIRED = ("refund", "cancel_subscription")
MAX_OPTIONS = 10


def new_pending(kind: str, target_type: str, target_id: int) -> Pending:
    return Pending(kind, target_type, target_id, str(uuid.uuid4()))


def confirm_components(principal, pending: Pending, *, values: dict | None = None,
                       error: str | None = None) -> list[dict]:
    """What the agent confirms: the target, the amount (prefilled with what is left), a reason."""
    row, _connection, account, _user = load_target(session(), principal.account_id, pending.target_type,
                                                   pending.target_id, user_id=principal.user_id)
    values = values or {}
    out: list[dict] = [text(f"{LABELS.get(pending.kind, pending.kind)}?", "header")]
    if error:
        out.append(text(error, "error"))
    out.append(table(_describe(pending, row)))
    if pending.kind in AMOUNT_FIELD:
        cap = cap_of(pending.kind, row)
        out.append({"type": "input", "id": "amount", "label": f"Amount ({row.currency}, at most "
                    f"{format_money(cap, row.currency)})",
                    "value": str(values.get("amount") or to_decimal_string(cap, row.currency))})
    codes = list(reason_codes(account))[:MAX_OPTIONS]
    if len(codes) >= 2:
        out.append({"type": "dropdown", "id": "reason", "label": "Reason",
                    "options": [{"type": "option", "id": c, "text": reason_label(c)} for c in codes],
                    "value": str(values.get("reason") or codes[0])})
    if pending.kind == "cancel_subscription":
        out.append({"type": "dropdown", "id": "when", "label": "When",
                    "options": [{"type": "option", "id": "period_end", "text": "At the end of the period"},
                                {"type": "option", "id": "now", "text": "Now"}],
                    "value": str(values.get("when") or "period_end")})
    out.append({"type": "textarea", "id": "note", "label": "Note (optional)", "value": str(values.get("note") or "")})
    return out + [button("confirm", LABELS.get(pending.kind, pending.kind)), button("back", "Cancel", "secondary")]


def submit_pending(principal, pending: Pending, values: dict, *, ticket_id: str | None, ip: str | None) -> ActionRun:
    """Through the action intake; ActionRejected (nothing written) says what to fix."""
    row, _connection, account, _user = load_target(session(), principal.account_id, pending.target_type,
                                                   pending.target_id, user_id=principal.user_id)
    codes = list(reason_codes(account))
    reason = str(values.get("reason") or (codes[0] if len(codes) == 1 else "")) or None
    note = str(values.get("note") or "").strip()[:2000] or None
    try:
        run, _created = submit_action(session(), principal, ActionRequest(
            kind=pending.kind, target=pending.target_id, target_type=pending.target_type,
            idempotency_key=f"ic-{pending.key}", params=_params(pending, row, values), reason=reason, note=note,
            source={"host": "intercom", "ticket_id": ticket_id}, ip=ip))
    except ActionRejected:
        session().rollback()
        raise
    return run


def result_components(run: ActionRun) -> list[dict]:
    status = run.status.replace("_", " ")
    return [text(f"{LABELS.get(run.kind, run.kind)}: {status}", "header"),
            text(run_message(run), "error" if run.status in ("failed", "rejected") else "paragraph"),
            button("refresh", "Refresh"), button("back", "Back to the customer", "secondary")]


def run_message(run: ActionRun) -> str:
    summary = (run.result or {}).get("summary")
    if run.status == "succeeded":
        return summary or "Done."
    if run.status == "pending_approval":
        return "Waiting for an admin's approval (above your refund limit)."
    if run.status in ("failed", "rejected"):
        return run.error_message or "The action failed."
    return "Queued: it runs in the background and a note will appear on the conversation."


def reason_label(code: str) -> str:
    return REASON_LABELS.get(code) or code.replace("_", " ").capitalize()


def cap_of(kind: str, row) -> int:
    if kind == "refund":
        return max(int(row.amount_captured_minor or 0) - int(row.amount_refunded_minor or 0), 0)
    if kind == "capture":
        return int(row.amount_capturable_minor or 0)
    return 0


def _params(pending: Pending, row, values: dict) -> dict[str, Any]:
    if pending.kind in AMOUNT_FIELD:
        raw = str(values.get("amount") or "").strip().replace(",", ".")
        try:
            amount = to_minor(raw, row.currency)
        except MoneyError as exc:
            raise ActionRejected(422, f"Enter the amount like 12.50 ({exc}).", {"amount": ["Not an amount."]}) from None
        return {"amount": amount, "currency": row.currency}
    if pending.kind == "cancel_subscription":
        return {"at_period_end": values.get("when", "period_end") != "now"}
    return {}


def _describe(pending: Pending, row) -> list[tuple[str, Any]]:
    if pending.target_type == "charge":
        rows = [("Charge", row.external_id), ("Amount", format_money(row.amount_minor, row.currency))]
        if row.amount_refunded_minor:
            rows.append(("Refunded", format_money(row.amount_refunded_minor, row.currency)))
        return rows
    if pending.target_type == "subscription":
        return [("Subscription", row.external_id), ("Plan", row.plan_name or row.status)]
    return [("Invoice", getattr(row, "number", None) or row.external_id)]

"""Tell every owner when a host key changes: an email per change, sent by a job.

The request that changed the key only queues the job (a slow or broken SMTP server never holds a
page); the job reads the audit entry, so the mail says exactly what the audit trail says.
"""
from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from backend.db import session
from backend.jobs import RetryPolicy, enqueue, job
from backend.mail import MailError, build_message, send_message
from backend.models import Account, AuditEntry, User

log = logging.getLogger(__name__)
KEY_CHANGED = "helpdesk.key_changed"  # the audit event a host's key change is recorded as
NOTICE_RETRY = RetryPolicy(max_retries=5, intervals=(10, 60, 300, 900, 3600))
FETCHED_FROM = "fetched_from_"  # via "fetched_from_<kind>": the key came from the helpdesk's API


def announce_key_change(audit_entry_id: int) -> bool:
    """Queue the owners' notice of a committed key change; False (logged) if it could not be."""
    try:
        enqueue(send_key_change_notice, audit_entry_id, retry=NOTICE_RETRY)
    except Exception:  # the queue is down: the change stands and is audited; say so loudly
        log.exception("could not queue the owners' notice of key change (audit entry %s)", audit_entry_id)
        return False
    return True


@job
def send_key_change_notice(audit_entry_id: int) -> None:
    """Mail the account's owners; retryable mail errors raise (the job retries), others are logged."""
    entry = session().get(AuditEntry, audit_entry_id)
    if entry is None or entry.event != KEY_CHANGED:
        log.warning("no key change in audit entry %s; nothing to announce", audit_entry_id)
        return
    account = session().get(Account, entry.account_id)
    owners = list(session().scalars(select(User.email).where(
        User.account_id == entry.account_id, User.role == "owner", User.disabled_at.is_(None)).order_by(User.id)))
    if not owners:
        log.warning("account %s has no owner to tell of key change %s", entry.account_id, audit_entry_id)
        return
    try:
        send_message(key_change_message(account, entry, owners))
    except MailError as exc:
        if exc.retryable:
            raise
        log.error("owners of account %s were not told of key change %s: %s", account.id, audit_entry_id, exc)


def key_change_message(account: Account, entry: AuditEntry, owners: list[str]) -> EmailMessage:
    details, actor = entry.details or {}, entry.actor or {}
    host, label = details.get("helpdesk_account") or details.get("external_id"), _label(details.get("kind"))
    who = f"{actor.get('name') or 'someone'} ({actor.get('role') or 'unknown role'}, user {actor.get('user_id')})"
    admin_url = current_app.config["SETTINGS"].base_url + "/admin"
    text = "\n".join([
        f"The {label} app key of {account.name} ({host}) was changed.",
        "",
        f"Who:   {who}",
        f"When:  {entry.created_at:%Y-%m-%d %H:%M:%S} UTC",
        f"From:  {(entry.source or {}).get('ip') or 'unknown address'}",
        f"How:   {_via_text(str(details.get('via') or ''), label)}",
        f"What:  {', '.join(details.get('changed') or [])}",
        f"Key:   {details.get('previous_fingerprint') or 'none'} -> {details.get('fingerprint')} "
        f"(version {details.get('key_version')})",
        f"Audit: entry {entry.seq} of the account's audit log",
        "",
        "Whoever sets this key decides who can open the ChargeDesk sidebar as whom. For 24 hours, "
        "sidebars opened with it cannot approve requests made by the person who changed it.",
        "",
        f"If you did not expect this, sign in to {admin_url}, fetch the key from {label} again, and "
        "review the audit log.",
    ])
    name = " ".join(account.name.split())
    return build_message(to=owners, subject=f"ChargeDesk: the {details.get('kind', 'helpdesk')} app key of "
                                            f"{name} was changed", text=text)


def _label(kind) -> str:
    """The helpdesk's name for people (its registry label), else the kind as stored."""
    from backend.integrations.helpdesks import HelpdeskError, helpdesk_host

    try:
        return helpdesk_host(str(kind)).label
    except HelpdeskError:
        return str(kind or "helpdesk")


def _via_text(via: str, label: str) -> str:
    if via == "pasted":
        return "pasted into the admin page"
    return f"fetched from {label}" if via.startswith(FETCHED_FROM) else via

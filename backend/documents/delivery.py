"""Emailing documents through backend.mail: an idempotent job, retried on temporary errors.

The automatic email is sent at most once per document: a job first claims it (unsent -> sending
in one UPDATE), so a duplicate job finds nothing to do. Temporary failures put it back to unsent
and raise so the job is retried; permanent ones are recorded on the document (send_error).
An explicit send (API, sidebar) is a new job each time and may go to another address.
"""
from __future__ import annotations

import uuid

from babel.dates import format_date
from sqlalchemy import update

from .. import jobs
from ..db import session
from ..models import Account, Customer, Document, utcnow
from ..money import format_money
from .i18n import language_of, translations
from .links import link_days, pdf_link
from .store import read_pdf

MAX_ATTEMPTS = 4  # the first try and DEFAULT_RETRY's three retries


def queue_send(doc: Document, *, to: str | None = None, explicit: bool = False) -> str:
    """Queue the email of a document; explicit sends get their own job (a resend is allowed)."""
    job_id = f"documents-send-{doc.id}" + (f"-{uuid.uuid4().hex}" if explicit else "")
    return jobs.enqueue(send_document, {"id": doc.id, "to": to, "explicit": explicit}, job_id=job_id)


@jobs.job
def send_document(args: dict) -> str:
    """Returns what happened: sent, skipped, failed, or nothing-to-do (already claimed or sent)."""
    s = session()
    doc = s.get(Document, args["id"])
    if doc is None:
        return "nothing-to-do"
    account = s.get(Account, doc.account_id)
    if not args.get("explicit"):
        reason = _skip_reason(doc, account)
        if reason:
            return _finish(doc, "skipped", error=reason) if doc.send_status == "unsent" else "nothing-to-do"
        if not _claim(doc):
            return "nothing-to-do"
    recipient = args.get("to") or customer_email(doc)
    if not recipient:
        return _finish(doc, "skipped", error="the customer has no email address")
    return _send(doc, account, recipient, explicit=bool(args.get("explicit")))


def _skip_reason(doc: Document, account: Account) -> str | None:
    if not doc.auto_send:
        return "issued by a backfill: sent only on request"
    if ((account.settings or {}).get("documents") or {}).get("auto_send") is False:
        return "automatic sending is turned off for the account"
    return None


def _claim(doc: Document) -> bool:
    s = session()
    claimed = s.execute(update(Document).where(Document.id == doc.id, Document.send_status == "unsent")
                        .values(send_status="sending", send_attempts=Document.send_attempts + 1)).rowcount
    s.commit()
    s.refresh(doc)
    return claimed == 1


def customer_email(doc: Document) -> str | None:
    customer = session().get(Customer, doc.customer_id) if doc.customer_id else None
    return (customer.email if customer else None) or doc.content.get("buyer", {}).get("email") or None


def _send(doc: Document, account: Account, recipient: str, *, explicit: bool) -> str:
    from ..mail import Attachment, MailError, build_message, send_message

    try:
        message = build_message(to=recipient, subject=subject_of(doc), text=email_text(doc, account),
                                reply_to=account.support_email or None,
                                attachments=[Attachment(f"{doc.display_number}.pdf", read_pdf(doc), "application/pdf")])
        send_message(message)
    except MailError as exc:
        if exc.retryable and (explicit or doc.send_attempts < MAX_ATTEMPTS):
            if not explicit:
                _finish(doc, "unsent", error=exc.message)
            raise
        if explicit:
            raise
        return _finish(doc, "failed", error=exc.message)
    doc.sent_to, doc.sent_at = recipient, utcnow()
    return _finish(doc, "sent", error=None)


def _finish(doc: Document, status: str, *, error: str | None) -> str:
    doc.send_status, doc.send_error = status, (error or None) and error[:500]
    session().commit()
    return status


def subject_of(doc: Document) -> str:
    _ = translations(language_of(doc.locale)).gettext
    template = _("Your credit note %(number)s from %(seller)s") if doc.kind == "credit_note" else \
        _("Your receipt %(number)s from %(seller)s")
    return template % {"number": doc.display_number, "seller": doc.content["seller"]["name"]}


def email_text(doc: Document, account: Account) -> str:
    _ = translations(language_of(doc.locale)).gettext
    values = {"number": doc.display_number, "amount": format_money(doc.total_minor, doc.currency, doc.locale),
              "name": doc.content.get("buyer", {}).get("name") or ""}
    days = link_days(account.settings)
    url, expires = pdf_link(account_id=doc.account_id, document_id=doc.id, days=days)
    body = _("We have refunded %(amount)s. Your credit note %(number)s is attached.") if doc.kind == "credit_note" \
        else _("Thank you for your payment of %(amount)s. Your receipt %(number)s is attached.")
    return "\n\n".join([
        (_("Hello %(name)s,") % values) if values["name"] else _("Hello,"),
        body % values,
        _("Download it here (the link works until %(date)s): %(url)s") % {
            "date": format_date(expires, format="long", locale=doc.locale), "url": url},
        _("Questions? Just reply to this email."),
        doc.content["seller"]["legal_name"],
    ]) + "\n"

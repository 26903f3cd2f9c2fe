"""Documents for past payments, only on request (a first import never issues or emails any)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..db import session
from ..models import Charge, Refund
from .issue import DocumentError, issue_credit_note, issue_receipt
from .store import ensure_pdf


@dataclass
class HistoryReport:
    issued: dict[str, int] = field(default_factory=lambda: {"receipt": 0, "credit_note": 0})
    skipped: list[str] = field(default_factory=list)


def issue_history(account_id: int, *, since: datetime, until: datetime | None = None,
                  render: bool = True) -> HistoryReport:
    """Unsent receipts and credit notes for succeeded payments and refunds made in [since, until)."""
    s, report = session(), HistoryReport()
    for model, issue in ((Charge, issue_receipt), (Refund, issue_credit_note)):
        for row in _succeeded(model, account_id, since, until):
            try:
                issued = issue(s, row, auto_send=False)
            except DocumentError as exc:
                report.skipped.append(str(exc))
                continue
            report.issued[issued.document.kind] += issued.created
            if render:
                ensure_pdf(issued.document.id)
    return report


def _succeeded(model, account_id: int, start: datetime, end: datetime | None) -> list:
    stmt = select(model).where(model.account_id == account_id, model.status == "succeeded",
                               model.gateway_created_at >= start)
    if end is not None:
        stmt = stmt.where(model.gateway_created_at < end)
    if model is Refund:
        stmt = stmt.where(Refund.charge_id.is_not(None))
    return list(session().scalars(stmt.order_by(model.gateway_created_at, model.id)))

"""Reading the trail: filters, cursor pages (newest first) and a spreadsheet-safe CSV export."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import AuditEntry

CSV_COLUMNS = ("seq", "created_at", "event", "actor_name", "actor_kind", "actor_role", "actor_user_id",
               "helpdesk_user", "kind", "subject_type", "subject_id", "customer_id", "amount", "currency",
               "reason", "summary", "host", "ticket_id", "ip", "details", "prev_hash", "entry_hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    event: str | None = None  # exact ("action.succeeded") or a prefix ending in "*" ("action.*")
    kind: str | None = None  # action kind recorded in details ("refund")
    customer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def filtered(account_id: int, f: AuditFilter) -> Select:
    stmt = select(AuditEntry).where(AuditEntry.account_id == account_id)
    if f.user_id is not None:
        stmt = stmt.where(AuditEntry.actor_user_id == f.user_id)
    if f.event:
        stmt = stmt.where(AuditEntry.event.startswith(f.event[:-1], autoescape=True) if f.event.endswith("*")
                          else AuditEntry.event == f.event)
    if f.kind:
        stmt = stmt.where(AuditEntry.details["kind"].as_string() == f.kind)
    if f.customer_id is not None:
        stmt = stmt.where(AuditEntry.customer_id == f.customer_id)
    if f.since is not None:
        stmt = stmt.where(AuditEntry.created_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.created_at < f.until)
    return stmt


def page(session: Session, account_id: int, f: AuditFilter, *, limit: int,
         before_seq: int | None = None) -> tuple[list[AuditEntry], int | None]:
    """One page, newest first; the cursor is the last seq returned (pass it as before_seq)."""
    stmt = filtered(account_id, f)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    rows = list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def entry_view(e: AuditEntry) -> dict[str, Any]:
    return {"seq": e.seq, "created_at": e.created_at.isoformat(), "event": e.event, "actor": e.actor,
            "actor_user_id": e.actor_user_id, "subject_type": e.subject_type, "subject_id": e.subject_id,
            "customer_id": e.customer_id, "reason": e.reason, "details": e.details, "source": e.source,
            "prev_hash": e.prev_hash, "entry_hash": e.entry_hash}


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_row(e: AuditEntry) -> list[Any]:
    actor, details, source = e.actor or {}, e.details or {}, e.source or {}
    values = {
        "seq": e.seq, "created_at": e.created_at.isoformat(), "event": e.event,
        "actor_name": actor.get("name"), "actor_kind": actor.get("kind"), "actor_role": actor.get("role"),
        "actor_user_id": e.actor_user_id,
        "helpdesk_user": (actor.get("helpdesk") or {}).get("external_user_id"),
        "kind": details.get("kind"), "subject_type": e.subject_type, "subject_id": e.subject_id,
        "customer_id": e.customer_id, "amount": (details.get("params") or {}).get("amount"),
        "currency": (details.get("params") or {}).get("currency"), "reason": e.reason,
        "summary": details.get("summary"), "host": source.get("host"), "ticket_id": source.get("ticket_id"),
        "ip": source.get("ip"), "details": json.dumps(details, sort_keys=True),
        "prev_hash": e.prev_hash, "entry_hash": e.entry_hash,
    }
    return [_cell(values[c]) for c in CSV_COLUMNS]


def csv_lines(session: Session, account_id: int, f: AuditFilter, *, batch: int = 500) -> Iterator[str]:
    """The whole filtered trail, oldest first, a header then one line per entry (streamable)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    stmt = filtered(account_id, f).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in session.scalars(stmt):
        writer.writerow(csv_row(entry))
        yield flush()

"""The per-account hash chain: each entry's hash covers its fields and the previous entry's hash.

Appends are serialized per account (the account row is locked FOR NO KEY UPDATE on PostgreSQL;
SQLite serializes writers anyway), so `seq` is gapless and `prev_hash` always names the entry before.

Why NO KEY UPDATE and not FOR UPDATE: every insert of a row that references the account (an
action run, an audit entry, a customer view made by the 0003 triggers) takes FOR KEY SHARE on the
account row through its foreign key. FOR UPDATE conflicts with that, so two transactions that
each inserted a run and then appended to the chain waited on each other: a deadlock. FOR NO KEY
UPDATE does not conflict with FOR KEY SHARE, and still conflicts with itself, which is all the
chain needs.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..models import Account, AuditEntry, utcnow

ZERO_HASH = "0" * 64
HASHED_FIELDS = ("account_id", "seq", "created_at", "event", "actor_user_id", "actor", "subject_type",
                 "subject_id", "customer_id", "reason", "details", "source", "prev_hash")


def _utc_text(value: datetime) -> str:
    """One spelling of an instant, whatever timezone the database hands back (naive = UTC)."""
    aware = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return aware.isoformat(timespec="microseconds")


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    """The fields the hash covers, in a form that survives a database round trip unchanged."""
    values = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["created_at"] = _utc_text(entry.created_at)
    return values


def canonical_json(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_json(hashed_fields(entry)).encode("utf-8")).hexdigest()


# Built once: the three statements of an append (constructing them costs more than running them).
_LOCK = select(Account.id).where(Account.id == bindparam("account_id")).with_for_update(key_share=True)
_HEAD = (select(AuditEntry.seq, AuditEntry.entry_hash).where(AuditEntry.account_id == bindparam("account_id"))
         .order_by(AuditEntry.seq.desc()).limit(1))
_INSERT = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id)


def lock_account(session: Session, account_id: int) -> None:
    """Serialize audit appends of one account until the transaction ends."""
    session.execute(_LOCK, {"account_id": account_id})


def _lock_and_read_head(conn: Connection, account_id: int) -> tuple[int, str]:
    """Lock the account row, then read the last entry's seq and hash (or the origin).

    Two statements on purpose: under READ COMMITTED only a statement that starts after the lock
    was granted sees the entry the previous holder committed.
    """
    conn.execute(_LOCK, {"account_id": account_id})
    row = conn.execute(_HEAD, {"account_id": account_id}).first()
    return (row.seq, row.entry_hash) if row else (0, ZERO_HASH)


def json_safe(value: Any) -> Any:
    """Details as plain JSON (datetimes as ISO text, enums as their value) so the hash is stable."""
    return json.loads(json.dumps(value, default=_default)) if value is not None else None


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc_text(value)
    return str(value)


def append(session: Session, *, account_id: int, event: str, actor: dict, reason: str | None = None,
           subject_type: str | None = None, subject_id: str | None = None, customer_id: int | None = None,
           details: dict | None = None, source: dict | None = None) -> AuditEntry:
    """Add the next entry of the account's chain inside the caller's transaction.

    Callers append last in their transaction: the account lock is then the last lock taken and
    is held only until the commit, so transactions that audit can never deadlock each other.
    The caller's pending changes are flushed first, so they too are written before the lock.
    The entry is written with one Core INSERT; the returned copy is not attached to the session.
    """
    session.flush()
    conn = session.connection()
    last_seq, last_hash = _lock_and_read_head(conn, account_id)
    entry = AuditEntry(
        account_id=account_id, seq=last_seq + 1, created_at=utcnow(), event=event,
        actor_user_id=(actor or {}).get("user_id"), actor=json_safe(actor or {}),
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id),
        customer_id=customer_id, reason=reason, details=json_safe(details or {}),
        source=json_safe(source or {}), prev_hash=last_hash,
    )
    entry.entry_hash = entry_hash(entry)
    values = {name: getattr(entry, name) for name in (*HASHED_FIELDS, "entry_hash")}
    entry.id = conn.execute(_INSERT, values).scalar_one()
    return entry

"""Recompute an account's chain and report the first broken link, phrased for a person."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEntry
from .chain import ZERO_HASH, entry_hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int  # how many entries were checked (up to the break)
    broken_seq: int | None = None
    problem: str | None = None

    def line(self) -> str:
        if self.ok:
            return f"ok: {self.entries} entries"
        return f"broken at seq {self.broken_seq}: {self.problem}"


def _problem(entry: AuditEntry, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        return f"expected seq {expected_seq} next but found seq {entry.seq}: entries are missing"
    if entry.prev_hash != prev_hash:
        return (f"prev_hash {entry.prev_hash[:12]}… does not match the hash of seq {entry.seq - 1} "
                f"({prev_hash[:12]}…): an earlier entry was changed, removed or inserted")
    recomputed = entry_hash(entry)
    if recomputed != entry.entry_hash:
        return (f"its fields no longer match its entry_hash (stored {entry.entry_hash[:12]}…, "
                f"recomputed {recomputed[:12]}…): the row was changed after it was written")
    return None


def verify_chain(session: Session, account_id: int, *, batch: int = 1000) -> ChainReport:
    """Walk every entry of the account in seq order; stop at the first inconsistency."""
    stmt = (select(AuditEntry).where(AuditEntry.account_id == account_id)
            .order_by(AuditEntry.seq).execution_options(yield_per=batch))
    prev_hash, checked = ZERO_HASH, 0
    for entry in session.scalars(stmt):
        problem = _problem(entry, checked + 1, prev_hash)
        if problem:
            return ChainReport(ok=False, entries=checked, broken_seq=entry.seq, problem=problem)
        prev_hash, checked = entry.entry_hash, checked + 1
    return ChainReport(ok=True, entries=checked)

"""The audit trail: an append-only, hash-chained record of every money and settings change.

    append(session, account_id=..., event="action.requested", actor=principal.audit_actor(), ...)
    verify_chain(session, account_id) -> ChainReport ("ok: N entries" or the first broken link)
"""
from .chain import ZERO_HASH, append, entry_hash
from .verify import ChainReport, verify_chain

__all__ = ["ZERO_HASH", "ChainReport", "append", "entry_hash", "verify_chain"]

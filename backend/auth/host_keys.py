"""Host verification keys: who changed one and when, and the 24 h rule for approvals.

A helpdesk host proves who opens the sidebar by signing the load (Zendesk: an RS256 JWT checked
with the app's public key; other hosts: a shared secret). Whoever can set that key can sign in
as any agent of the helpdesk, the owner included. So (see backend.admin.app_keys):
- only owners change a host's key or secret; the change is audited and mailed to every owner;
- the installation records who changed its key and when (`settings["host_key"]`), and every
  sidebar token minted from a host load carries that stamp (backend.auth.sidebar_tokens);
- a session opened under a key that user X changed less than 24 h ago cannot approve X's own
  requests: a swapped key cannot turn into approvals for its author before the other owners
  have had a day to see the notice.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Mapping

SETTING = "host_key"
APPROVAL_HOLD_SECONDS = 24 * 3600


@dataclass(frozen=True)
class HostKeyStamp:
    """Which key opened a session: the installation's key version, who set it, when (epoch s)."""

    version: int
    changed_by_user_id: int | None
    changed_at: int

    def as_claim(self) -> list:
        return [self.version, self.changed_by_user_id, self.changed_at]

    @classmethod
    def from_claim(cls, value: Any) -> "HostKeyStamp | None":
        if not isinstance(value, list) or len(value) != 3:
            return None
        version, by, at = value
        return cls(int(version), None if by is None else int(by), int(at))


def key_stamp(settings: Mapping[str, Any] | None) -> HostKeyStamp | None:
    """The stamp of an installation's current key; None if it was never changed through us."""
    record = (settings or {}).get(SETTING)
    if not isinstance(record, dict) or "version" not in record:
        return None
    return HostKeyStamp(int(record["version"]), record.get("changed_by_user_id"), int(record.get("changed_at") or 0))


def with_key_change(settings: Mapping[str, Any], *, changed_by_user_id: int, via: str, fingerprint: str,
                    now: float | None = None) -> tuple[dict, HostKeyStamp]:
    """The settings with a key change recorded (version + 1, who, when, how), and its stamp."""
    previous = key_stamp(settings)
    stamp = HostKeyStamp(version=(previous.version if previous else 0) + 1, changed_by_user_id=changed_by_user_id,
                         changed_at=int(time.time() if now is None else now))
    record = {"version": stamp.version, "changed_by_user_id": changed_by_user_id, "changed_at": stamp.changed_at,
              "via": via, "fingerprint": fingerprint}
    return {**settings, SETTING: record}, stamp


def key_fingerprint(material: str) -> str:
    """A short, stable name for a key or secret (audit and email show this, never the key)."""
    return "sha256:" + hashlib.sha256((material or "").strip().encode()).hexdigest()[:32]


def approval_refusal(stamp: HostKeyStamp | None, *, requester_user_id: int | None,
                     now: float | None = None) -> str | None:
    """Why a session opened under `stamp` may not approve this requester's run (None: it may)."""
    if stamp is None or requester_user_id is None or stamp.changed_by_user_id != requester_user_id:
        return None
    age = (time.time() if now is None else now) - stamp.changed_at
    if age >= APPROVAL_HOLD_SECONDS:
        return None
    return ("This sidebar was opened with a helpdesk key that the requester changed less than 24 hours "
            "ago, so it cannot approve their request. Ask another owner or admin to approve it from a "
            "sidebar opened under a key the requester did not set.")

"""Resumable cursors over PayPal listings: transaction search in 31-day windows, page-numbered lists.

A cursor is base64url JSON: phase (which listing), window start and listing end (epoch seconds,
fixed when the walk starts, so every page sees the same windows), page number. Transaction search
answers only for windows of at most 31 days (end_date - start_date), from up to three years back.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone

WINDOW = timedelta(days=31) - timedelta(seconds=1)  # inclusive ends, so windows never overlap
STEP = timedelta(days=31)
MAX_HISTORY_DAYS = 3 * 365


@dataclass(frozen=True)
class Cursor:
    phase: int = 0
    start: int = 0  # window start (epoch seconds)
    end: int = 0  # the listing's end, fixed at its first page
    page: int = 1

    def encode(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self), separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor | None":
        if raw is None:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode()))
            cursor = cls(**{k: int(data[k]) for k in ("phase", "start", "end", "page")})
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise ValueError(f"not a PayPal listing cursor: {raw[:60]!r}") from None
        if cursor.page < 1 or cursor.phase < 0:
            raise ValueError("not a PayPal listing cursor (page/phase out of range)")
        return cursor

    def window(self) -> tuple[str, str]:
        """The window's start_date/end_date as the API takes them."""
        start = datetime.fromtimestamp(self.start, timezone.utc)
        end = min(start + WINDOW, datetime.fromtimestamp(self.end, timezone.utc))
        return _iso(start), _iso(end)

    def next_window(self) -> "Cursor | None":
        following = self.start + int(STEP.total_seconds())
        return replace(self, start=following, page=1) if following <= self.end else None

    def next_page(self) -> "Cursor":
        return replace(self, page=self.page + 1)


def first_cursor(history_days: int, phase: int = 0) -> Cursor:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    days = max(1, min(int(history_days), MAX_HISTORY_DAYS))
    return Cursor(phase=phase, start=int((now - timedelta(days=days)).timestamp()), end=int(now.timestamp()))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

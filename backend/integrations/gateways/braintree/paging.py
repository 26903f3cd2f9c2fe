"""Resumable, ascending listing over Braintree's created_at searches.

Braintree has no list cursors: a search returns every matching id (in an order we do not rely
on), and objects are fetched by id. A cursor here is the created_at of the last item returned
plus the ids already returned at that exact second (timestamps have whole seconds). Each page
finds a created_at window holding at most `limit` unseen ids by counting ids only (galloping,
then bisecting), fetches just those objects, and sorts them by (created_at, id).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import GatewayError

SearchIds = Callable[[dt.datetime | None, dt.datetime | None], list[str]]
FIRST_STEP = dt.timedelta(hours=1)
ONE_SECOND = dt.timedelta(seconds=1)
MAX_PROBES = 64
SEARCH_FLOOR = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # before any Braintree object


class InvalidCursor(GatewayError):
    """The cursor was not made by this adapter (or was edited)."""


@dataclass(frozen=True)
class Cursor:
    since: dt.datetime | None = None
    seen: tuple[str, ...] = ()

    def encode(self) -> str:
        since = self.since.isoformat() if self.since else None
        return json.dumps({"v": 1, "since": since, "seen": list(self.seen)}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor":
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            since = dt.datetime.fromisoformat(data["since"]) if data["since"] else None
            return cls(since=since, seen=tuple(str(i) for i in data.get("seen", ())))
        except (ValueError, KeyError, TypeError):
            raise InvalidCursor(f"not a Braintree listing cursor: {raw!r}") from None


def _fresh(ids: list[str], cursor: Cursor) -> list[str]:
    seen = set(cursor.seen)
    return [i for i in ids if i not in seen]


def window_ids(search: SearchIds, cursor: Cursor, limit: int) -> tuple[list[str], bool]:
    """Unseen ids created in a window starting at the cursor; True if it reaches the end.

    A window holding between half a page and a page is good enough to stop probing.
    """
    everything = _fresh(search(cursor.since, None), cursor)
    if len(everything) <= limit:
        return everything, True
    count = _Counter(search, cursor, limit)
    return count.gallop(cursor.since or SEARCH_FLOOR), False


@dataclass
class _Counter:
    """Probes [cursor.since, until] windows by counting unseen ids."""

    search: SearchIds
    cursor: Cursor
    limit: int

    def ids(self, until: dt.datetime) -> list[str]:
        return _fresh(self.search(self.cursor.since, until), self.cursor)

    def good(self, ids: list[str]) -> bool:
        return max(1, self.limit // 2) <= len(ids) <= self.limit

    def gallop(self, start: dt.datetime) -> list[str]:
        """Double the window until it overflows a page, then bisect."""
        low, low_ids, high = start, [], start + FIRST_STEP
        for _ in range(MAX_PROBES):
            ids = self.ids(high)
            if len(ids) > self.limit:
                break
            if self.good(ids):
                return ids
            low, low_ids, high = high, ids, start + (high - start) * 2
        return self.bisect(low, low_ids, high)

    def bisect(self, low: dt.datetime, low_ids: list[str], high: dt.datetime) -> list[str]:
        """Narrow (low fits, high overflows) down to one second; a crowded second comes whole."""
        while high - low > ONE_SECOND:
            mid = low + dt.timedelta(seconds=(high - low).total_seconds() // 2)
            ids = self.ids(mid)
            if self.good(ids):
                return ids
            low, low_ids, high = (mid, ids, high) if len(ids) <= self.limit else (low, low_ids, mid)
        return low_ids or self.ids(high)


def sort_and_trim(objects: list[Any], cursor: Cursor, limit: int,
                  created: Callable[[Any], dt.datetime]) -> tuple[list[Any], Cursor]:
    """The first `limit` objects by (created_at, id), and the cursor just after them."""
    ordered = sorted(objects, key=lambda o: (created(o), o.id))[:limit]
    if not ordered:
        return [], cursor
    last = created(ordered[-1])
    same_second = [o.id for o in ordered if created(o) == last]
    carried = cursor.seen if cursor.since == last else ()
    return ordered, Cursor(since=last, seen=tuple(dict.fromkeys([*carried, *same_second])))


def next_cursor(page: list[Any], total: int, reached_end: bool, after: Cursor) -> str | None:
    """None once the window reached the end and every object in it was returned."""
    if reached_end and len(page) >= total:
        return None
    return after.encode()

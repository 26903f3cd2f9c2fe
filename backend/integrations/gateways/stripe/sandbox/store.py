"""In-memory object storage: per-kind insertion order, id -> position, equality indexes, O(limit) pages."""
from __future__ import annotations

import random
import string
import time
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from .templates import DEFAULTS

_ALPHABET = string.ascii_letters + string.digits

# Fields that never change after creation, indexed so filtered lists stay fast.
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "charge": ("customer", "payment_intent"),
    "refund": ("charge", "payment_intent"),
    "payment_intent": ("customer",),
    "payment_method": (),
    "subscription": ("customer",),
    "subscription_item": ("subscription",),
    "invoice": ("customer", "subscription"),
    "line_item": ("invoice",),
    "invoice_payment": ("invoice",),
    "tax_id": ("customer",),
    "dispute": ("charge",),
    "event": ("type",),
}


@dataclass
class KindStore:
    """All objects of one kind in creation order (which is also `created` order)."""

    indexed: tuple[str, ...] = ()
    order: list[str | None] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    objects: dict[str, dict] = field(default_factory=dict)
    index: dict[str, dict[Any, list[int]]] = field(default_factory=dict)

    def insert(self, obj: dict) -> None:
        pos = len(self.order)
        self.order.append(obj["id"])
        self.created.append(obj.get("created", 0))
        self.position[obj["id"]] = pos
        self.objects[obj["id"]] = obj
        for name in self.indexed:
            value = obj.get(name)
            if value is not None:
                self.index.setdefault(name, {}).setdefault(value, []).append(pos)

    def reindex(self, object_id: str, name: str, old: Any, new: Any) -> None:
        """Move one object between index buckets when an indexed field changes."""
        pos = self.position[object_id]
        if old is not None and pos in self.index.get(name, {}).get(old, ()):
            self.index[name][old].remove(pos)
        if new is not None:
            insort(self.index.setdefault(name, {}).setdefault(new, []), pos)

    def remove(self, object_id: str) -> None:
        """Drop from lists and lookups; the position slot stays (as None) so cursors keep working."""
        pos = self.position.get(object_id)
        if pos is not None:
            self.order[pos] = None
        self.objects.pop(object_id, None)

    def undo_insert(self, obj: dict) -> None:
        """Take back the most recent insert (journal rollback runs newest first)."""
        pos = self.position.pop(obj["id"])
        self.order.pop()
        self.created.pop()
        self.objects.pop(obj["id"], None)
        for name in self.indexed:
            bucket = self.index.get(name, {}).get(obj.get(name))
            if bucket and bucket[-1] == pos:
                bucket.pop()

    def undo_remove(self, obj: dict) -> None:
        self.order[self.position[obj["id"]]] = obj["id"]
        self.objects[obj["id"]] = obj

    def candidates(self, where: dict) -> Sequence[int]:
        for name, value in where.items():
            if name in self.indexed:
                return self.index.get(name, {}).get(value, [])
        return range(len(self.order))

    def window(self, positions: Sequence[int], created: dict | None) -> tuple[int, int]:
        """Index range of `positions` whose `created` lies in the gt/gte/lt/lte bounds."""
        lo, hi = 0, len(positions)
        if not created:
            return lo, hi
        key = self.created.__getitem__
        if "gt" in created:
            lo = max(lo, bisect_right(positions, created["gt"], key=key))
        if "gte" in created:
            lo = max(lo, bisect_left(positions, created["gte"], key=key))
        if "lt" in created:
            hi = min(hi, bisect_left(positions, created["lt"], key=key))
        if "lte" in created:
            hi = min(hi, bisect_right(positions, created["lte"], key=key))
        return lo, hi


@dataclass
class PageRequest:
    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None
    where: dict = field(default_factory=dict)
    created: dict | None = None
    predicate: Callable[[dict], bool] | None = None


class Store:
    """Every kind's KindStore plus id generation and a monotonic clock."""

    def __init__(self) -> None:
        self.kinds: dict[str, KindStore] = {}
        self._random = random.Random()
        self._last_now = 0
        self.journal: list[tuple[str, dict, Any]] | None = None  # set while a request runs

    def begin(self) -> None:
        """Start recording changes so a failing request can be undone (nothing half-written)."""
        self.journal = []

    def commit(self) -> None:
        self.journal = None

    def rollback(self) -> None:
        """Undo every insert/update/remove since `begin`, newest first."""
        journal, self.journal = self.journal or [], None
        for action, obj, previous in reversed(journal):
            kind = self.kind(obj["object"])
            if action == "insert":
                kind.undo_insert(obj)
            elif action == "remove":
                kind.undo_remove(obj)
            else:
                self.update(obj, previous)

    def kind(self, kind: str) -> KindStore:
        found = self.kinds.get(kind)
        if found is None:
            found = self.kinds[kind] = KindStore(indexed=INDEXED_FIELDS.get(kind, ()))
        return found

    def now(self) -> int:
        """Unix seconds that never go backwards, so insertion order equals `created` order."""
        self._last_now = max(self._last_now, int(time.time()))
        return self._last_now

    def new_id(self, prefix: str, length: int = 24) -> str:
        return prefix + "".join(self._random.choices(_ALPHABET, k=length))

    def random_token(self, length: int, alphabet: str = _ALPHABET) -> str:
        return "".join(self._random.choices(alphabet, k=length))

    def insert(self, obj: dict) -> dict:
        """Store `obj` (filled in place with the kind's fixture defaults, so code can read any field)."""
        for key, value in DEFAULTS.get(obj["object"], {}).items():
            obj.setdefault(key, value)
        self.kind(obj["object"]).insert(obj)
        if self.journal is not None:
            self.journal.append(("insert", obj, None))
        return obj

    def remove(self, kind: str, object_id: str) -> None:
        obj = self.kind(kind).objects.get(object_id)
        self.kind(kind).remove(object_id)
        if obj is not None and self.journal is not None:
            self.journal.append(("remove", obj, None))

    def get(self, kind: str, object_id: str | None) -> dict | None:
        if not isinstance(object_id, str):
            return None
        return self.kind(kind).objects.get(object_id)

    def all(self, kind: str) -> Iterator[dict]:
        ks = self.kind(kind)
        return (ks.objects[object_id] for object_id in ks.order if object_id is not None)

    def update(self, obj: dict, changes: dict) -> dict:
        """Set top-level fields (never mutate nested values in place); returns the previous values."""
        previous = {key: obj.get(key) for key, value in changes.items() if obj.get(key) != value}
        kind = self.kind(obj["object"])
        for name in kind.indexed:
            if name in previous and obj["id"] in kind.position:
                kind.reindex(obj["id"], name, previous[name], changes[name])
        obj.update(changes)
        if previous and self.journal is not None:
            self.journal.append(("update", obj, previous))
        return previous

    def page(self, kind: str, request: PageRequest) -> tuple[list[dict], bool]:
        """Newest first; walks only as many positions as it needs to fill the page."""
        ks = self.kind(kind)
        positions = ks.candidates(request.where)
        lo, hi = ks.window(positions, request.created)
        if request.starting_after:
            hi = min(hi, bisect_left(positions, ks.position[request.starting_after]))
        if request.ending_before:
            lo = max(lo, bisect_right(positions, ks.position[request.ending_before]))
        ascending = bool(request.ending_before and not request.starting_after)
        indexes = range(lo, hi) if ascending else range(hi - 1, lo - 1, -1)
        found = self._collect(ks, positions, indexes, request)
        has_more = len(found) > request.limit
        found = found[: request.limit]
        return (found[::-1] if ascending else found), has_more

    @staticmethod
    def _collect(ks: KindStore, positions: Sequence[int], indexes: range, request: PageRequest) -> list:
        found: list[dict] = []
        wanted = request.limit + 1
        for i in indexes:
            object_id = ks.order[positions[i]]
            if object_id is None:
                continue
            obj = ks.objects[object_id]
            if any(obj.get(name) != value for name, value in request.where.items()):
                continue
            if request.predicate is not None and not request.predicate(obj):
                continue
            found.append(obj)
            if len(found) == wanted:
                break
        return found

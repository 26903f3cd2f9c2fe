"""Resumable listing over WooCommerce's page-numbered, id-ascending listings.

The cursor (an opaque base64 JSON string) holds the next page number, the highest id already
returned and the X-WP-Total seen then. Ids only grow, so new objects land on later pages; when
the total has shrunk (objects deleted meanwhile) the walk steps back as many pages as could have
shifted and skips ids it already returned, so nothing is skipped and nothing is returned twice.
A `phase` lets one listing walk two endpoints in turn (customers, then guest orders).
"""
from __future__ import annotations

import base64
import json
import math
from dataclasses import asdict, dataclass, replace

from .client import Listing, WooCommerceClient


@dataclass(frozen=True)
class Cursor:
    page: int = 1
    after_id: int = 0
    total: int | None = None
    phase: int = 0

    def encode(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self), separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor":
        if not raw:
            return cls()
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode()))
            cursor = cls(page=int(data["page"]), after_id=int(data["after_id"]),
                         total=None if data.get("total") is None else int(data["total"]),
                         phase=int(data.get("phase", 0)))
        except (ValueError, KeyError, TypeError):
            raise ValueError("not a WooCommerce listing cursor") from None
        if cursor.page < 1 or cursor.after_id < 0:
            raise ValueError("not a WooCommerce listing cursor")
        return cursor


def fetch_page(client: WooCommerceClient, endpoint: str, cursor: Cursor, limit: int,
               filters: dict | None = None) -> tuple[list[dict], Cursor | None]:
    """The objects after cursor.after_id on its page, and the cursor for the next (None: done)."""
    def get(page: int) -> Listing:
        return client.listing(endpoint, {"per_page": limit, "page": page, "orderby": "id", "order": "asc",
                                         **(filters or {})})
    page = cursor.page
    listing = get(page)
    if cursor.total is not None and listing.total < cursor.total and page > 1:
        page = max(1, page - math.ceil((cursor.total - listing.total) / limit))
        listing = get(page)
    fresh = [o for o in listing.items if int(o["id"]) > cursor.after_id]
    if page >= listing.total_pages or not listing.items:
        return fresh, None
    highest = max([cursor.after_id, *(int(o["id"]) for o in listing.items)])
    return fresh, replace(cursor, page=page + 1, after_id=highest, total=listing.total)

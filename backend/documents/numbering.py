"""Gapless document numbers per (account, series), taken in the caller's transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..db import upsert_insert
from ..models import DocumentCounter

SERIES = ("receipt", "credit_note")
DEFAULT_FORMATS = {"receipt": "R-{year}-{seq:06d}", "credit_note": "CN-{year}-{seq:06d}"}


class NumberFormatError(ValueError):
    """A number format the account configured cannot be used."""


def take_number(session: Session, *, account_id: int, series: str) -> int:
    """The next number of the series; the counter row stays locked until the caller commits.

    One INSERT .. ON CONFLICT DO UPDATE .. RETURNING: concurrent issuers queue on the row lock, and a
    rolled-back transaction gives its number back, so committed numbers have no gaps.
    """
    table = DocumentCounter.__table__
    stmt = upsert_insert(session)(table).values(account_id=account_id, kind=series, next_number=2)
    stmt = stmt.on_conflict_do_update(index_elements=["account_id", "kind"],
                                      set_={"next_number": table.c.next_number + 1})
    return session.execute(stmt.returning(table.c.next_number)).scalar_one() - 1


def number_format(settings: dict | None, series: str) -> str:
    """The account's format for a series (settings["documents"]["<series>_format"]) or the default."""
    configured = ((settings or {}).get("documents") or {}).get(f"{series}_format")
    fmt = configured or DEFAULT_FORMATS[series]
    check_format(fmt)
    return fmt


def check_format(fmt: str) -> str:
    """Refuse formats that do not show the sequence number or do not format."""
    if not isinstance(fmt, str) or "{seq" not in fmt or len(fmt) > 40:
        raise NumberFormatError(f"number format {fmt!r} must contain {{seq}} (e.g. 'R-{{year}}-{{seq:06d}}')")
    try:
        sample = fmt.format(seq=1, year=2000)
    except (KeyError, IndexError, ValueError) as exc:
        raise NumberFormatError(f"number format {fmt!r} is invalid: {exc}; use only {{year}} and {{seq}}") from None
    if len(sample) > 64:
        raise NumberFormatError(f"number format {fmt!r} makes numbers longer than 64 characters")
    return fmt


def display_number(fmt: str, *, seq: int, when: datetime) -> str:
    return fmt.format(seq=seq, year=when.year)

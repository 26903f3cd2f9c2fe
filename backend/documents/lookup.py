"""The reply loop: find our document numbers in a ticket's subject or first message.

A reply to a receipt email keeps "Your receipt R-2026-000042 from Acme" in its subject; the
sidebar can open that document's customer and charge before any email matching.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Document

# Numbers are made of letters, digits and - / _ . (see numbering.check_format); at least one digit.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]{2,63}")
MAX_CANDIDATES = 100


def candidate_numbers(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _TOKEN.finditer(text or ""):
        token = match.group(0).rstrip("./-_")
        if any(c.isdigit() for c in token):
            seen.setdefault(token, None)
        if len(seen) >= MAX_CANDIDATES:
            break
    return list(seen)


def documents_mentioned(session: Session, account_id: int, *texts: str) -> list[Document]:
    """This account's documents whose number appears in any of the texts, in order of appearance."""
    candidates = [n for text in texts for n in candidate_numbers(text)]
    if not candidates:
        return []
    found = {d.display_number: d for d in session.scalars(select(Document).where(
        Document.account_id == account_id, Document.display_number.in_(candidates)))}
    return [found[n] for n in dict.fromkeys(candidates) if n in found]

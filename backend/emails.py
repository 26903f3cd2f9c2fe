"""Email normalisation used both when storing customer emails and when matching requesters."""
from __future__ import annotations


def normalize_email(value: str | None) -> str | None:
    """Trim and lower-case; None or a string without '@' gives None."""
    if not value:
        return None
    email = value.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        return None
    return email

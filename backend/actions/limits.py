"""Refund limits: above the requester's limit a refund waits for an owner's or admin's approval.

Limits are in the account's default currency. We keep no exchange rates, so a refund in any other
currency by someone with a limit always waits for approval rather than being guessed at.
"""
from __future__ import annotations

from typing import Any

from .base import money

DEFAULT_AGENT_LIMIT_SETTING = "agent_refund_limit_minor"
UNLIMITED_ROLES = ("owner", "admin")


def effective_limit(*, role: str, personal_limit: int | None, account_settings: dict[str, Any]) -> int | None:
    """The limit that applies (None = unlimited): the user's own, else the role's default.

    Owners and admins are unlimited unless they have a personal limit; agents fall back to the
    account's `agent_refund_limit_minor` setting, and are unlimited when that is not set either.
    """
    if personal_limit is not None:
        return personal_limit
    if role in UNLIMITED_ROLES:
        return None
    configured = (account_settings or {}).get(DEFAULT_AGENT_LIMIT_SETTING)
    return int(configured) if configured is not None else None


def approval_reason(*, limit: int | None, amount: int, currency: str, account_currency: str) -> str | None:
    """Why this refund needs approval, or None when the requester may make it alone."""
    if limit is None:
        return None
    if currency.upper() != account_currency.upper():
        return (f"Refunds in {currency} need approval: your limit of {money(limit, account_currency)} "
                f"is in {account_currency} and no exchange rates are applied.")
    if amount > limit:
        return f"{money(amount, currency)} is above your refund limit of {money(limit, account_currency)}."
    return None

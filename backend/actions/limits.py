"""Refund limits: above the requester's limit a refund waits for an owner's or admin's approval.

Limits are cumulative, not per request: a refund may go ahead alone only if it, plus what the
same user already asked to refund of the same charge (any time), and plus what they asked to
refund in that currency in the last 24 hours, each stays within the limit. Runs still waiting or
running count; failed and rejected ones do not (`allowance` reads the sums). So five 19.00
refunds of one charge under a 20.00 limit are one refund alone and four that wait for approval.

Limits are in the account's default currency. We keep no exchange rates, so a refund in any other
currency by someone with a limit always waits for approval rather than being guessed at.
"""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Used:
    """What the requester already asked to refund (minor units of one currency)."""

    on_charge: int = 0  # of this charge, any time
    today: int = 0  # in this currency, in the last 24 hours


def remaining(*, limit: int | None, used: Used) -> int | None:
    """How much more the requester may refund alone (None = no limit)."""
    if limit is None:
        return None
    return max(limit - max(used.on_charge, used.today), 0)


def approval_reason(*, limit: int | None, amount: int, currency: str, account_currency: str,
                    used: Used = Used()) -> str | None:
    """Why this refund needs approval, or None when the requester may make it alone."""
    if limit is None:
        return None
    if currency.upper() != account_currency.upper():
        return (f"Refunds in {currency} need approval: your limit of {money(limit, account_currency)} "
                f"is in {account_currency} and no exchange rates are applied.")
    if amount > limit:
        return f"{money(amount, currency)} is above your refund limit of {money(limit, account_currency)}."
    if used.on_charge + amount > limit:
        return (f"{money(amount, currency)} with the {money(used.on_charge, currency)} you already refunded of "
                f"this charge is above your refund limit of {money(limit, account_currency)}.")
    if used.today + amount > limit:
        return (f"{money(amount, currency)} with the {money(used.today, currency)} you refunded in the last "
                f"24 hours is above your refund limit of {money(limit, account_currency)}.")
    return None

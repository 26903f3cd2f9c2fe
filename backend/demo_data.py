"""What the demo shows: a few customers with history, described once for every gateway sandbox."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class DemoCustomer:
    email: str
    name: str
    charges: tuple[tuple[int, str], ...]  # (amount in minor units, currency)
    refund_first_charge: int | None = None  # an "external" refund made in the gateway's dashboard
    authorize_only: tuple[int, str] | None = None  # an uncaptured authorization to capture or void
    subscription: tuple[str, int, str] | None = None  # (plan name, unit amount minor, currency)
    tax_id: tuple[str, str] | None = None  # (type, value)


@dataclass
class DemoSandbox:
    """A running sandbox seeded with the demo customers, and how to connect to it."""

    kind: str
    url: str
    credentials: dict[str, str]
    webhook_secret: str | None
    register_webhook: Callable[[str], None]
    stop: Callable[[], None]


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer("ada@example.com", "Ada Lovelace", ((2000, "USD"), (4900, "USD"), (1500, "USD")),
                 refund_first_charge=500, authorize_only=(3500, "USD"),
                 subscription=("Pro", 4900, "USD"), tax_id=("eu_vat", "DE123456789")),
    DemoCustomer("grace@example.com", "Grace Hopper", ((9900, "USD"),), subscription=("Team", 9900, "USD")),
    DemoCustomer("taro@example.jp", "Taro Yamada", ((5000, "JPY"), (12000, "JPY"))),
)

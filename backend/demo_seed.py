"""Demo data: an account with people and keys, plus billing history to look at."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from flask import Flask

from .accounts import add_user, create_account
from .auth.api_keys import create_api_key
from .db import transaction
from .models import Charge, Customer, CustomerEmail, GatewayConnection, utcnow

DEMO_CUSTOMERS = [
    ("ada@example.com", "Ada Lovelace", [(2000, "USD"), (4900, "USD"), (1500, "USD")]),
    ("grace@example.com", "Grace Hopper", [(9900, "USD")]),
    ("taro@example.jp", "Taro Yamada", [(5000, "JPY")]),
]


@dataclass
class SeededDemo:
    account_slug: str
    api_key: str
    sample_email: str
    links: list = field(default_factory=list)
    stoppers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in self.stoppers:
            stop()


def seed_demo(app: Flask) -> SeededDemo:
    with transaction() as s:
        account = create_account(s, name="Demo Company", slug="demo")
        add_user(s, account, email="owner@demo.example", role="owner", name="Olivia Owner")
        add_user(s, account, email="agent@demo.example", role="agent", name="Alex Agent", refund_limit_minor=5000)
        add_user(s, account, email="viewer@demo.example", role="viewer", name="Val Viewer")
        _key_row, api_key = create_api_key(s, account, "demo")
        conn = GatewayConnection(account_id=account.id, kind="stripe", name="Demo Stripe",
                                 credentials={"api_key": "sk_test_demo"})
        s.add(conn)
        s.flush()
        _seed_mirror(s, account.id, conn.id)
    return SeededDemo(account_slug=account.slug, api_key=api_key, sample_email=DEMO_CUSTOMERS[0][0])


def _seed_mirror(s, account_id: int, connection_id: int) -> None:
    now = utcnow()
    for i, (email, name, charges) in enumerate(DEMO_CUSTOMERS):
        customer = Customer(account_id=account_id, connection_id=connection_id, external_id=f"cus_demo{i}",
                            email=email, name=name)
        s.add(customer)
        s.flush()
        s.add(CustomerEmail(account_id=account_id, customer_id=customer.id, email=email))
        for j, (amount, currency) in enumerate(charges):
            s.add(Charge(account_id=account_id, connection_id=connection_id, external_id=f"ch_demo{i}_{j}",
                         customer_id=customer.id, amount_minor=amount, amount_captured_minor=amount,
                         currency=currency, status="succeeded", raw_status="succeeded",
                         gateway_created_at=now - timedelta(days=30 * j)))

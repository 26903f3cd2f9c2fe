"""Fixtures for the sidebar: a mirror written through the sync's own upsert, agents with sidebar tokens."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from backend.db import transaction
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, DisputeRecord, DisputeStatus, InvoiceRecord, InvoiceStatus,
    RefundRecord, RefundStatus, SubscriptionRecord, SubscriptionStatus, TaxIdRecord,
)
from backend.models import GatewayConnection, HelpdeskInstallation
from backend.sync.upsert import upsert_records

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


class Mirror:
    """Writes gateway records for one account the way a sync would (customer_emails included)."""

    def __init__(self, account):
        self.account = account
        self._ids = itertools.count(1)

    def connection(self, kind: str = "stripe", name: str = "Stripe") -> GatewayConnection:
        with transaction() as s:
            conn = GatewayConnection(account_id=self.account.id, kind=kind, name=name,
                                     credentials={"api_key": "sk_test_x"})
            s.add(conn)
            s.flush()
        return conn

    def _write(self, conn, *records) -> dict:
        with transaction() as s:
            return upsert_records(s, conn, records)

    def customer(self, conn, email: str | None, *more: str, name: str = "Ada") -> tuple[str, int]:
        ext = f"cus_{next(self._ids)}"
        written = self._write(conn, CustomerRecord(external_id=ext, email=email, name=name, emails=more))
        return ext, written["customers"][ext]

    def charge(self, conn, customer_ext: str, amount: int, currency: str = "usd", *, refunded: int = 0,
               status: ChargeStatus = ChargeStatus.SUCCEEDED, days_ago: int = 0, captured: int | None = None) -> tuple[str, int]:
        ext = f"ch_{next(self._ids)}"
        if captured is None:
            captured = amount if status == ChargeStatus.SUCCEEDED else 0
        record = ChargeRecord(external_id=ext, customer_external_id=customer_ext, amount=amount, currency=currency,
                              status=status, raw_status=str(status), amount_captured=captured,
                              amount_refunded=refunded, card_brand="visa", card_last4="4242",
                              amount_capturable=amount if status == ChargeStatus.AUTHORIZED else 0,
                              created_at=NOW - timedelta(days=days_ago, seconds=next(self._ids)))
        return ext, self._write(conn, record)["charges"][ext]

    def refund(self, conn, charge_ext: str, amount: int, currency: str = "usd", *, run_id: str | None = None) -> str:
        ext = f"re_{next(self._ids)}"
        metadata = {"chargedesk_key": run_id} if run_id else {}
        self._write(conn, RefundRecord(external_id=ext, charge_external_id=charge_ext, amount=amount,
                                       currency=currency, status=RefundStatus.SUCCEEDED, raw_status="succeeded",
                                       metadata=metadata, created_at=NOW))
        return ext

    def subscription(self, conn, customer_ext: str, *, status=SubscriptionStatus.ACTIVE,
                     cancel_at_period_end: bool = False, plan: str = "Pro") -> tuple[str, int]:
        ext = f"sub_{next(self._ids)}"
        record = SubscriptionRecord(external_id=ext, customer_external_id=customer_ext, status=status,
                                    raw_status=str(status), plan_name=plan, amount=4900, currency="usd",
                                    interval="month", current_period_end=NOW + timedelta(days=20),
                                    cancel_at_period_end=cancel_at_period_end,
                                    canceled_at=NOW if status == SubscriptionStatus.CANCELED else None)
        return ext, self._write(conn, record)["subscriptions"][ext]

    def invoice(self, conn, customer_ext: str, status: InvoiceStatus, total: int = 4900, days_ago: int = 0) -> str:
        ext = f"in_{next(self._ids)}"
        due = total if status == InvoiceStatus.OPEN else 0
        self._write(conn, InvoiceRecord(external_id=ext, customer_external_id=customer_ext, status=status,
                                        raw_status=str(status), currency="usd", number=f"INV-{ext}", total=total,
                                        amount_due=due, amount_paid=total - due,
                                        created_at=NOW - timedelta(days=days_ago)))
        return ext

    def tax_id(self, conn, customer_ext: str, value: str = "DE123456789") -> str:
        ext = f"txi_{next(self._ids)}"
        self._write(conn, TaxIdRecord(external_id=ext, customer_external_id=customer_ext, type="eu_vat",
                                      value=value, country="DE"))
        return ext

    def dispute(self, conn, charge_ext: str, amount: int) -> str:
        ext = f"dp_{next(self._ids)}"
        self._write(conn, DisputeRecord(external_id=ext, charge_external_id=charge_ext, amount=amount,
                                        currency="usd", status=DisputeStatus.NEEDS_RESPONSE,
                                        raw_status="needs_response", reason="fraudulent"))
        return ext


@pytest.fixture
def mirror(account):
    return Mirror(account)


@pytest.fixture
def agent_headers(account):
    """agent_headers(role) -> Authorization headers carrying a sidebar token for a new agent of that role."""
    from backend.accounts import add_user
    from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token

    counter = itertools.count(1)

    def make(role: str = "agent", refund_limit_minor: int | None = None, acct=None) -> dict:
        acct = acct or account
        n = next(counter)
        with transaction() as s:
            user = add_user(s, acct, email=f"{role}{n}@{acct.slug}.test", role=role, name=f"{role.title()} {n}",
                            refund_limit_minor=refund_limit_minor)
            inst = HelpdeskInstallation(account_id=acct.id, kind="zendesk", external_id=f"{acct.slug}-{n}")
            s.add(inst)
            s.flush()
        token = mint_sidebar_token(SidebarClaims(account_id=acct.id, installation_id=inst.id, user_id=user.id,
                                                 host="zendesk", external_user_id=str(1000 + n)))
        return {"Authorization": f"Bearer {token}"}

    return make


def context_of(client, headers, *emails: str, **params):
    """GET /api/v1/sidebar/context; returns (status, json)."""
    query = [("email", e) for e in emails] + list(params.items())
    resp = client.get("/api/v1/sidebar/context", query_string=query, headers=headers)
    return resp.status_code, resp.get_json()

"""Records that need more than one Braintree object: refund totals, plan names, owners.

A sale does not carry how much was refunded (only refund_ids), and a subscription carries
neither its customer nor its currency; these are fetched in batches and cached per adapter.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from ..errors import GatewayNotFound
from ..records import ChargeRecord, SubscriptionRecord
from . import mappers
from .client import BraintreeClient


class RecordBuilder:
    """Maps SDK objects to records, looking up what the object itself lacks."""

    def __init__(self, client: BraintreeClient):
        self.client = client
        self._plans: dict[str, Any] | None = None
        self._owners: dict[str, str | None] = {}

    # --- charges ----------------------------------------------------------------------------
    def charges(self, transactions: Iterable[Any]) -> list[ChargeRecord]:
        """Sale transactions with amount_refunded summed from their credit transactions."""
        sales = list(transactions)
        refunded = self.refunded_totals(sales)
        return [mappers.charge_record(tx, refunded=refunded.get(tx.id, 0)) for tx in sales]

    def charge(self, transaction: Any) -> ChargeRecord:
        return self.charges([transaction])[0]

    def refunded_totals(self, sales: list[Any]) -> dict[str, int]:
        """transaction id -> minor units refunded, with one search for all their refunds."""
        refund_ids = [rid for tx in sales for rid in (getattr(tx, "refund_ids", None) or ())]
        credits_by_sale: dict[str, list[Any]] = defaultdict(list)
        for credit in self.client.fetch_by_ids("transaction", refund_ids):
            credits_by_sale[credit.refunded_transaction_id].append(credit)
        return {tx.id: mappers.refunded_total(credits_by_sale.get(tx.id, []),
                                              mappers.currency_of(tx))
                for tx in sales}

    # --- subscriptions ------------------------------------------------------------------------
    def subscriptions(self, subscriptions: Iterable[Any]) -> list[SubscriptionRecord]:
        return [self.subscription(sub) for sub in subscriptions]

    def subscription(self, sub: Any, *, raw_status: str | None = None) -> SubscriptionRecord:
        return mappers.subscription_record(
            sub, plan=self.plan(getattr(sub, "plan_id", None)),
            customer_id=self.owner(getattr(sub, "payment_method_token", None)),
            raw_status=raw_status)

    def plan(self, plan_id: str | None) -> Any:
        """The plan (name, currency) by id, from one cached listing."""
        if not plan_id:
            return None
        if self._plans is None:
            self._plans = {plan.id: plan for plan in self.client.plans()}
        return self._plans.get(plan_id)

    def owner(self, token: str | None) -> str | None:
        """The customer id a vaulted payment method belongs to (cached)."""
        if not token:
            return None
        if token not in self._owners:
            try:
                method = self.client.find_payment_method(token)
                self._owners[token] = getattr(method, "customer_id", None)
            except GatewayNotFound:
                self._owners[token] = None
        return self._owners[token]

"""BraintreeAdapter: the GatewayAdapter contract over Braintree's XML API (through client.py).

Idempotency. Braintree's XML API takes no idempotency key, so every money- or state-changing
call here is made idempotent by the adapter: it calls reconcile() (or the same check) first
and, if the operation already took effect, returns that result instead of acting again.
- refund: the key is sent as the credit transaction's order_id; a replay finds the credit by
  order_id + refunded_transaction_id and returns it (one credit, however often it is retried).
- capture / void / cancel_subscription: each can happen only once per object, so an object
  already captured / voided / Canceled is returned as the result (whoever did it). The key is
  not written to the sale: its order_id belongs to the merchant and stays untouched.
- create_subscription: the subscription id is derived from the key, so a replay finds it.
- apply_coupon: a discount already on the subscription is returned as applied.
A refund's reason and note cannot be stored at Braintree; they live in our audit trail.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Callable, ClassVar, Mapping

from backend.money import normalize_currency, to_decimal_string

from ..contract import Capability, ConnectOption, GatewayConfig, Operation, fetch_refetched
from ..errors import GatewayNotFound, GatewayRejected, Unsupported
from ..records import (
    BillingRecord, ChargeRecord, CustomerRecord, GatewayEvent, InvoiceLineRecord, InvoiceRecord,
    ObjectKind, Page, RefundRecord, RefundResult, SubscriptionRecord, TaxIdRecord,
)
from . import mappers, paging, webhooks
from .client import BraintreeClient
from .lookups import RecordBuilder

CAPTURED = frozenset({"submitted_for_settlement", "settling", "settled", "settlement_pending",
                      "settlement_confirmed"})
VOIDABLE = frozenset({"authorizing", "authorized", "submitted_for_settlement",
                      "settlement_pending"})
CANNOT_REFUND_UNLESS_SETTLED = "91506"
SUBSCRIPTION_ID_TAKEN = "81902"
DISPUTE_MARGIN = dt.timedelta(days=90)  # a dispute's received_date may precede its created_at


def subscription_id_for(idempotency_key: str) -> str:
    """A stable Braintree subscription id for one create request (ids allow [A-Za-z0-9_-])."""
    return "cd" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:24]


class BraintreeAdapter:
    name: ClassVar[str] = "braintree"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.REFUND, Capability.PARTIAL_REFUND, Capability.CAPTURE,
        Capability.PARTIAL_CAPTURE, Capability.VOID, Capability.CANCEL_NOW,
        Capability.CREATE_SUBSCRIPTION, Capability.SUBSCRIPTION_TRIAL,
        Capability.COUPON_ON_SUBSCRIPTION, Capability.WEBHOOKS,
    })
    syncable_kinds: ClassVar[tuple[ObjectKind, ...]] = (
        ObjectKind.CUSTOMER, ObjectKind.CHARGE, ObjectKind.REFUND, ObjectKind.SUBSCRIPTION,
        ObjectKind.DISPUTE,
    )
    connect_options: ClassVar[tuple[ConnectOption, ...]] = (
        ConnectOption("merchant_id", "Braintree merchant ID (Settings > API)", secret=False),
        ConnectOption("public_key", "Braintree API public key", secret=False),
        ConnectOption("private_key", "Braintree API private key (also verifies webhooks)"),
    )
    webhook_secret_required: ClassVar[bool] = False  # webhooks are signed with the API keys

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.client = BraintreeClient(config)
        self.records = RecordBuilder(self.client)

    # --- reading -------------------------------------------------------------------------------
    def list_page(self, kind: ObjectKind, *, cursor: str | None, limit: int = 100) -> Page:
        """One ascending page by created_at; see paging.py for the cursor."""
        kind = ObjectKind(kind)
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if kind is ObjectKind.DISPUTE:
            return self._dispute_page(paging.Cursor.decode(cursor), limit)
        listings: dict[ObjectKind, tuple[str, tuple[str, ...], Callable[[list], list]]] = {
            ObjectKind.CUSTOMER: ("customer", (), lambda objs: [
                mappers.customer_record(o) for o in objs]),
            ObjectKind.CHARGE: ("transaction", ("sale",), self.records.charges),
            ObjectKind.REFUND: ("transaction", ("credit",), lambda objs: [
                mappers.refund_record(o) for o in objs]),
            ObjectKind.SUBSCRIPTION: ("subscription", (), self.records.subscriptions),
        }
        if kind not in listings:
            raise Unsupported(f"Braintree has no {kind.value} objects to list")
        search_kind, types, to_records = listings[kind]
        return self._search_page(search_kind, types, to_records, paging.Cursor.decode(cursor),
                                 limit)

    def _search_page(self, search_kind: str, types: tuple[str, ...],
                     to_records: Callable[[list], list], cursor: paging.Cursor,
                     limit: int) -> Page:
        def search(since: dt.datetime | None, until: dt.datetime | None) -> list[str]:
            return self.client.search_ids(search_kind, since=since, until=until, types=types)
        ids, reached_end = paging.window_ids(search, cursor, limit)
        objects = self.client.fetch_by_ids(search_kind, ids)
        page, after = paging.sort_and_trim(objects, cursor, limit, _created)
        return Page(items=tuple(to_records(page)),
                    next_cursor=paging.next_cursor(page, len(objects), reached_end, after))

    def _dispute_page(self, cursor: paging.Cursor, limit: int) -> Page:
        """Disputes search by received_date only (no created_at), so filter here."""
        since_day = ((cursor.since or paging.SEARCH_FLOOR) - DISPUTE_MARGIN).date()
        seen = set(cursor.seen)
        disputes = [d for d in self.client.disputes_received_since(since_day)
                    if cursor.since is None or _created(d) > cursor.since
                    or (_created(d) == cursor.since and d.id not in seen)]
        page, after = paging.sort_and_trim(disputes, cursor, limit, _created)
        return Page(items=tuple(mappers.dispute_record(d) for d in page),
                    next_cursor=paging.next_cursor(page, len(disputes), True, after))

    def fetch(self, kind: ObjectKind, external_id: str) -> BillingRecord:
        kind = ObjectKind(kind)
        if kind is ObjectKind.CUSTOMER:
            return mappers.customer_record(self.client.find_customer(external_id))
        if kind is ObjectKind.CHARGE:
            return self.records.charge(self._transaction(external_id, "sale"))
        if kind is ObjectKind.REFUND:
            return mappers.refund_record(self._transaction(external_id, "credit"))
        if kind is ObjectKind.SUBSCRIPTION:
            return self.records.subscription(self.client.find_subscription(external_id))
        if kind is ObjectKind.DISPUTE:
            return mappers.dispute_record(self.client.find_dispute(external_id))
        raise Unsupported(f"Braintree has no {kind.value} objects")

    def _transaction(self, transaction_id: str, kind: str) -> Any:
        """A sale (charge) or credit (refund); the other kind counts as not found."""
        tx = self.client.find_transaction(transaction_id)
        if getattr(tx, "type", None) != kind:
            label = "charge" if kind == "sale" else "refund"
            raise GatewayNotFound(f"Braintree transaction {transaction_id} is a "
                                  f"{getattr(tx, 'type', '?')}, not a {label}")
        return tx

    # --- money ---------------------------------------------------------------------------------
    def refund(self, *, charge_id: str, amount: int | None, currency: str,
               reason: str | None, note: str | None, idempotency_key: str) -> RefundResult:
        """Refund a settled sale (all of what is left when amount is None)."""
        if amount is not None and amount <= 0:
            raise GatewayRejected("A refund amount must be positive", code="invalid_amount")
        done = self._refund_with_key(charge_id, idempotency_key)
        if done is not None:
            return RefundResult(refund=done, charge=self.fetch(ObjectKind.CHARGE, charge_id))
        sale = self._transaction(charge_id, "sale")
        self._ensure_refundable(sale, currency)
        value = None if amount is None else to_decimal_string(amount, sale.currency_iso_code)
        try:
            credit = self.client.refund(charge_id, amount=value, order_id=idempotency_key)
        except GatewayRejected as exc:
            if exc.code == CANNOT_REFUND_UNLESS_SETTLED and sale.status in VOIDABLE:
                raise _must_void(sale) from exc
            raise
        return RefundResult(refund=mappers.refund_record(credit),
                            charge=self.fetch(ObjectKind.CHARGE, charge_id))

    def _ensure_refundable(self, sale: Any, currency: str) -> None:
        if normalize_currency(currency) != mappers.currency_of(sale):
            raise GatewayRejected(f"Charge {sale.id} is in {mappers.currency_of(sale)}, "
                                  f"not {normalize_currency(currency)}", code="currency_mismatch")
        if sale.status in VOIDABLE:
            raise _must_void(sale)

    def capture(self, *, charge_id: str, amount: int | None,
                idempotency_key: str) -> ChargeRecord:
        """Submit an authorization for settlement, for all of it or a smaller amount."""
        sale = self._transaction(charge_id, "sale")
        if sale.status in CAPTURED:  # a replay gets the capture back; another amount is refused
            done = self.records.charge(sale)
            if amount is not None and amount != done.amount_captured:
                raise GatewayRejected(f"Transaction {charge_id} was already captured; it cannot be "
                                      "captured again", code="91507")
            return done
        value = None if amount is None else to_decimal_string(amount, sale.currency_iso_code)
        return self.records.charge(self.client.submit_for_settlement(charge_id, amount=value))

    def void(self, *, charge_id: str, idempotency_key: str) -> ChargeRecord:
        sale = self._transaction(charge_id, "sale")
        if sale.status == "voided":
            return self.records.charge(sale)
        return self.records.charge(self.client.void(charge_id))

    # --- subscriptions -------------------------------------------------------------------------
    def cancel_subscription(self, *, subscription_id: str, at_period_end: bool, prorate: bool,
                            idempotency_key: str, reason: str | None = None) -> SubscriptionRecord:
        """Braintree only cancels immediately, and without proration."""
        if at_period_end:
            raise Unsupported("Braintree cancels subscriptions immediately; it has no "
                              "cancel-at-period-end. Cancel now instead.")
        if prorate:
            raise Unsupported("Braintree does not prorate on cancel; refund part of the last "
                              "charge instead.")
        sub = self.client.find_subscription(subscription_id)
        if sub.status == "Canceled":
            return self.records.subscription(sub)
        return self.records.subscription(self.client.cancel_subscription(subscription_id))

    def create_subscription(self, *, customer_id: str, price_id: str, quantity: int,
                            trial_days: int | None, coupon: str | None,
                            idempotency_key: str) -> SubscriptionRecord:
        """price_id is a Braintree plan id, coupon a discount id; billed to the default card."""
        if quantity != 1:
            raise Unsupported("Braintree subscriptions have no quantity; use quantity 1")
        existing = self._created_subscription(customer_id, idempotency_key)
        if existing is not None:
            return existing
        try:
            sub = self.client.create_subscription(
                subscription_id=subscription_id_for(idempotency_key), plan_id=price_id,
                payment_method_token=self._default_token(customer_id), trial_days=trial_days,
                discount_ids=[coupon] if coupon else [])
        except GatewayRejected as exc:
            if exc.code == SUBSCRIPTION_ID_TAKEN:  # a concurrent replay won the race
                return self.fetch(ObjectKind.SUBSCRIPTION, subscription_id_for(idempotency_key))
            raise
        return self.records.subscription(sub)

    def _default_token(self, customer_id: str) -> str:
        methods = getattr(self.client.find_customer(customer_id), "payment_methods", None) or []
        default = next((m for m in methods if getattr(m, "default", False)), None)
        chosen = default or (methods[0] if methods else None)
        if chosen is None:
            raise GatewayRejected(f"Customer {customer_id} has no saved payment method in "
                                  "Braintree", code="no_payment_method")
        return chosen.token

    def apply_coupon(self, *, target_kind: ObjectKind, target_id: str, code: str,
                     idempotency_key: str) -> SubscriptionRecord | CustomerRecord:
        """Add a Braintree discount (by id) to a subscription."""
        if ObjectKind(target_kind) is not ObjectKind.SUBSCRIPTION:
            raise Unsupported("Braintree discounts apply to subscriptions only, not to "
                              f"{ObjectKind(target_kind).value}s")
        sub = self.client.find_subscription(target_id)
        if code in {d.id for d in getattr(sub, "discounts", None) or ()}:
            return self.records.subscription(sub)
        return self.records.subscription(self.client.add_discount(target_id, code))

    # --- not offered by Braintree --------------------------------------------------------------
    def create_invoice(self, *, customer_id: str, currency: str,
                       lines: tuple[InvoiceLineRecord, ...], days_until_due: int,
                       idempotency_key: str) -> InvoiceRecord:
        raise Unsupported("Braintree has no invoices")

    def send_invoice(self, *, invoice_id: str, idempotency_key: str) -> InvoiceRecord:
        raise Unsupported("Braintree has no invoices")

    def add_tax_id(self, *, customer_id: str, type: str, value: str,
                   idempotency_key: str) -> TaxIdRecord:
        raise Unsupported("Braintree does not store customer tax IDs")

    # --- reconcile and webhooks ----------------------------------------------------------------
    def reconcile(self, *, operation: Operation, target_id: str,
                  idempotency_key: str) -> BillingRecord | None:
        """What an interrupted call with this key left behind at Braintree, or None."""
        checks: dict[Operation, Callable[[str, str], BillingRecord | None]] = {
            Operation.REFUND: self._refund_with_key,
            Operation.CAPTURE: lambda tid, _key: self._charge_if(tid, CAPTURED),
            Operation.VOID: lambda tid, _key: self._charge_if(tid, {"voided"}),
            Operation.CANCEL_SUBSCRIPTION: self._canceled_subscription,
            Operation.CREATE_SUBSCRIPTION: self._created_subscription,
        }
        check = checks.get(operation)
        return check(target_id, idempotency_key) if check else None

    def _refund_with_key(self, charge_id: str, idempotency_key: str) -> RefundRecord | None:
        ids = self.client.search_ids("transaction", since=None, types=("credit",),
                                     order_id=idempotency_key)
        credits = [c for c in self.client.fetch_by_ids("transaction", ids)
                   if getattr(c, "refunded_transaction_id", None) == charge_id]
        return mappers.refund_record(credits[0]) if credits else None

    def _charge_if(self, charge_id: str, statuses: frozenset | set) -> ChargeRecord | None:
        sale = self._transaction(charge_id, "sale")
        return self.records.charge(sale) if sale.status in statuses else None

    def _canceled_subscription(self, subscription_id: str, _key: str) -> SubscriptionRecord | None:
        sub = self.client.find_subscription(subscription_id)
        return self.records.subscription(sub) if sub.status == "Canceled" else None

    def _created_subscription(self, _customer_id: str, key: str) -> SubscriptionRecord | None:
        try:
            return self.records.subscription(self.client.find_subscription(
                subscription_id_for(key)))
        except GatewayNotFound:
            return None

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes,
                      verify: bool = True) -> GatewayEvent:
        """Verify and map a delivery without network I/O (see webhooks.py for refetch)."""
        return webhooks.parse_webhook(self.client, body, verify=verify)

    def hydrate_event(self, event: GatewayEvent) -> tuple[BillingRecord, ...]:
        return fetch_refetched(self, event)


def _created(obj: Any) -> dt.datetime:
    return mappers.utc(getattr(obj, "created_at", None)) or paging.SEARCH_FLOOR


def _must_void(sale: Any) -> GatewayRejected:
    return GatewayRejected(
        f"Braintree cannot refund transaction {sale.id} yet: it is {sale.status}, not settled. "
        "Void it instead to cancel the whole payment (no money has moved yet), or wait until "
        "it settles to refund part of it.", code="must_void")

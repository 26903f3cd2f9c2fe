"""WooCommerceAdapter: the GatewayAdapter contract over a shop's REST API v3 (through client.py).

Orders are charges; orders awaiting payment are also (open) invoices, which is what "send
invoice" (WooCommerce's order details email with the pay link) acts on; order refunds are refunds; customers are the
shop's registered customers plus guests known by their billing email ("guest:<email>").
Subscriptions exist only where the WooCommerce Subscriptions extension is active: `connect`
detects it (settings["subscriptions_extension"]) and only then is cancelling declared.

Idempotency. WooCommerce takes no idempotency key, so every money- or state-changing call is
made idempotent here, as in the Braintree adapter: reconcile first, act only if nothing is found.
- refund: the run id is written into the refund's meta_data (chargedesk_run_id) and its reason;
  a replay finds the refund on the order by either and returns it (one refund, however retried).
- cancel_subscription: a subscription already cancelled (or pending-cancel) is the result.
- send_invoice: after sending, an order note names the run id; a replay finds it and does not
  email the customer again.
WooCommerce cannot capture or void (the payment plugins do that in wp-admin), create invoices,
subscriptions or coupons through this API, nor store tax IDs: those capabilities are missing.
"""
from __future__ import annotations

from typing import Callable, ClassVar, Mapping

from backend.money import normalize_currency, to_decimal_string

from ..contract import Capability, ConnectOption, GatewayConfig, Operation, fetch_refetched
from ..errors import GatewayNotFound, GatewayRejected, Unsupported
from ..records import (
    BillingRecord, ChargeRecord, CustomerRecord, GatewayEvent, InvoiceLineRecord, InvoiceRecord, ObjectKind,
    Page, RefundRecord, RefundResult, SubscriptionRecord, TaxIdRecord,
)
from . import mappers, paging, webhooks
from .client import NO_ROUTE, WooCommerceClient

BASE_CAPABILITIES = frozenset({Capability.REFUND, Capability.PARTIAL_REFUND, Capability.SEND_INVOICE,
                               Capability.WEBHOOKS})
SUBSCRIPTION_CAPABILITIES = frozenset({Capability.CANCEL_NOW, Capability.CANCEL_AT_PERIOD_END})
ENDED = frozenset({"cancelled", "expired", "switched"})
# The backfill mirrors these orders as (open) invoices: what "send invoice" can act on. Every other
# order is a charge; its invoice row appears when a webhook reports it (kept current from then on).
AWAITING_PAYMENT = ("pending", "on-hold", "failed", "checkout-draft")
SENT_NOTE = "ChargeDesk sent the order details to the customer (run {key})."


def object_id(external_id: str, what: str) -> int:
    """WooCommerce ids are positive integers; anything else cannot exist there."""
    if not str(external_id).isdigit() or int(external_id) < 1:
        raise GatewayNotFound(f"WooCommerce has no {what} {external_id!r}", code="invalid_id")
    return int(external_id)


class WooCommerceAdapter:
    name: ClassVar[str] = "woocommerce"
    # What every shop can do; an instance adds cancelling where the extension was detected.
    capabilities: ClassVar[frozenset[Capability]] = BASE_CAPABILITIES
    syncable_kinds: ClassVar[tuple[ObjectKind, ...]] = (
        ObjectKind.CUSTOMER, ObjectKind.CHARGE, ObjectKind.REFUND, ObjectKind.INVOICE, ObjectKind.SUBSCRIPTION)
    connect_options: ClassVar[tuple[ConnectOption, ...]] = (
        ConnectOption("store_url", "The shop's address, e.g. https://shop.example (https: Basic auth; "
                      "http: OAuth 1.0a)", secret=False, required=False),
        ConnectOption("consumer_key", "REST API consumer key, ck_... (WooCommerce > Settings > Advanced > "
                      "REST API, Read/Write)", secret=False),
        ConnectOption("consumer_secret", "REST API consumer secret, cs_..."),
    )
    webhook_secret_required: ClassVar[bool] = True  # each WooCommerce webhook has its own secret

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.client = WooCommerceClient(config)
        # True / False as detected at connect; None (never detected): subscriptions are still read
        # where the shop serves them, but cancelling is declared only after a detection said yes.
        self.has_subscriptions: bool | None = config.settings.get("subscriptions_extension")
        self.capabilities = BASE_CAPABILITIES | (SUBSCRIPTION_CAPABILITIES if self.has_subscriptions is True
                                                 else frozenset())

    def detect_settings(self) -> dict:
        """What `connect` stores about the shop: whether WooCommerce Subscriptions is active."""
        return {"subscriptions_extension": self.client.has_subscriptions_extension()}

    # --- reading -------------------------------------------------------------------------------
    def list_page(self, kind: ObjectKind, *, cursor: str | None, limit: int = 100) -> Page:
        kind = ObjectKind(kind)
        if not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100 (WooCommerce's per_page)")
        position = paging.Cursor.decode(cursor)
        if kind is ObjectKind.CUSTOMER:
            return self._customer_page(position, limit)
        if kind is ObjectKind.SUBSCRIPTION:
            return self._subscription_page(position, limit)
        if kind is ObjectKind.REFUND and position.phase == 0:
            return self._refund_page(position, limit)
        to_records: dict[ObjectKind, Callable[[dict], list]] = {
            ObjectKind.CHARGE: lambda o: [mappers.charge_record(o)],
            ObjectKind.INVOICE: lambda o: [mappers.invoice_record(o)],
            ObjectKind.REFUND: self._order_refunds,  # phase 1: a shop without GET /refunds
        }
        if kind not in to_records:
            raise Unsupported(f"WooCommerce has no {kind.value} objects to list")
        filters = {"status": ",".join(AWAITING_PAYMENT)} if kind is ObjectKind.INVOICE else None
        return self._page("orders", position, limit, to_records[kind], filters)

    def _page(self, endpoint: str, position: paging.Cursor, limit: int, to_records, filters=None,
              then: paging.Cursor | None = None) -> Page:
        objects, after = paging.fetch_page(self.client, endpoint, position, limit, filters)
        after = after or then
        items = tuple(record for obj in objects for record in to_records(obj))
        return Page(items=items, next_cursor=after.encode() if after else None)

    def _refund_page(self, position: paging.Cursor, limit: int) -> Page:
        """GET /refunds (every order's, dated, with parent_id), plus one request for their orders'
        currencies. A shop without that route is walked order by order instead (phase 1)."""
        try:
            refunds, after = paging.fetch_page(self.client, "refunds", position, limit)
        except GatewayNotFound as exc:
            if exc.code != NO_ROUTE:
                raise
            return self.list_page(ObjectKind.REFUND, cursor=paging.Cursor(phase=1).encode(), limit=limit)
        currencies = {}
        if refunds:
            currencies = {int(o["id"]): mappers.currency_of(o)
                          for o in self.client.orders_by_id([int(r["parent_id"]) for r in refunds])}
        items = tuple(mappers.refund_record(r, order_id=str(r["parent_id"]), currency=currencies[int(r["parent_id"])])
                      for r in refunds if int(r["parent_id"]) in currencies)
        return Page(items=items, next_cursor=after.encode() if after else None)

    def _order_refunds(self, order: dict) -> list[RefundRecord]:
        """An order's refunds in full (dates, meta_data); only orders that list any are asked.
        The short list on the order has no dates, and an undated refund would look new."""
        if not order.get("refunds"):
            return []
        currency = mappers.currency_of(order)
        return [mappers.refund_record(r, order_id=str(order["id"]), currency=currency)
                for r in self.client.refunds(int(order["id"]))]

    def _subscription_page(self, position: paging.Cursor, limit: int) -> Page:
        """Empty for a shop without WooCommerce Subscriptions (no wc/v3/subscriptions route)."""
        if self.has_subscriptions is False:
            return Page(items=(), next_cursor=None)
        try:
            return self._page("subscriptions", position, limit, lambda s: [mappers.subscription_record(s)])
        except GatewayNotFound as exc:
            if exc.code == NO_ROUTE:
                return Page(items=(), next_cursor=None)
            raise

    def _customer_page(self, position: paging.Cursor, limit: int) -> Page:
        """Registered customers (role=all), then one record per guest billing email."""
        if position.phase == 0:
            return self._page("customers", position, limit, lambda c: [mappers.customer_record(c)],
                              {"role": "all"}, then=paging.Cursor(phase=1))
        page = self._page("orders", position, limit, lambda o: [r for r in [mappers.guest_record(o)] if r],
                          {"customer": 0})
        unique = {r.external_id: r for r in page.items}
        return Page(items=tuple(unique.values()), next_cursor=page.next_cursor)

    def fetch(self, kind: ObjectKind, external_id: str) -> BillingRecord:
        kind = ObjectKind(kind)
        if kind is ObjectKind.CUSTOMER:
            if str(external_id).startswith(mappers.GUEST_PREFIX):
                email = external_id[len(mappers.GUEST_PREFIX):]
                return CustomerRecord(external_id=external_id, email=email, emails=(email,), metadata={"guest": True})
            return mappers.customer_record(self.client.customer(object_id(external_id, "customer")))
        if kind is ObjectKind.CHARGE:
            return mappers.charge_record(self.client.order(object_id(external_id, "order")))
        if kind is ObjectKind.INVOICE:
            return mappers.invoice_record(self.client.order(object_id(external_id, "order")))
        if kind is ObjectKind.SUBSCRIPTION:
            if self.has_subscriptions is False:
                raise GatewayNotFound("This shop has no WooCommerce Subscriptions extension", code=NO_ROUTE)
            return mappers.subscription_record(self.client.subscription(object_id(external_id, "subscription")))
        raise Unsupported(f"WooCommerce cannot look up a {kind.value} on its own"
                          + (" (refunds are read through their order)" if kind is ObjectKind.REFUND else ""))

    # --- money ---------------------------------------------------------------------------------
    def refund(self, *, charge_id: str, amount: int | None, currency: str,
               reason: str | None, note: str | None, idempotency_key: str) -> RefundResult:
        """Refund through the shop's payment plugin (api_refund); all that is left if amount is None."""
        if amount is not None and amount <= 0:
            raise GatewayRejected("A refund amount must be positive", code="invalid_amount")
        order_id = object_id(charge_id, "order")
        order = self.client.order(order_id)
        done = self._refund_with_key(order, idempotency_key)
        if done is not None:
            return RefundResult(refund=done, charge=self.fetch(ObjectKind.CHARGE, charge_id))
        charge = mappers.charge_record(order)
        if normalize_currency(currency) != charge.currency:
            raise GatewayRejected(f"Order {charge_id} is in {charge.currency}, not {normalize_currency(currency)}",
                                  code="currency_mismatch")
        left = charge.amount - mappers.refunded_of(order, charge.currency)
        value = left if amount is None else amount
        if value <= 0:
            raise GatewayRejected(f"Order {charge_id} has nothing left to refund", code="nothing_left")
        created = self.client.create_refund(
            order_id, amount=to_decimal_string(value, charge.currency),
            reason=_reason(reason, note, idempotency_key), meta={mappers.RUN_META_KEY: idempotency_key})
        return RefundResult(refund=mappers.refund_record(created, order_id=charge_id, currency=charge.currency),
                            charge=self.fetch(ObjectKind.CHARGE, charge_id))

    def _refund_with_key(self, order: dict, key: str) -> RefundRecord | None:
        """The refund this run already made on the order (meta_data or reason), if any."""
        if not order.get("refunds"):
            return None
        currency, marker = mappers.currency_of(order), _marker(key)
        for refund in self.client.refunds(int(order["id"])):
            meta = {m.get("key"): m.get("value") for m in refund.get("meta_data") or () if isinstance(m, dict)}
            if meta.get(mappers.RUN_META_KEY) == key or marker in str(refund.get("reason") or ""):
                return mappers.refund_record(refund, order_id=str(order["id"]), currency=currency)
        return None

    def capture(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> ChargeRecord:
        raise Unsupported("WooCommerce's REST API cannot capture a payment; the shop's payment plugin "
                          "captures it (change the order to Processing in wp-admin)")

    def void(self, *, charge_id: str, idempotency_key: str) -> ChargeRecord:
        raise Unsupported("WooCommerce's REST API cannot void an authorization; cancel the order in wp-admin")

    # --- subscriptions (WooCommerce Subscriptions) ---------------------------------------------
    def _require_subscriptions(self) -> None:
        if self.has_subscriptions is not True:
            raise Unsupported("This shop has no WooCommerce Subscriptions extension (detected when it was "
                              "connected); reconnect it after activating the extension")

    def cancel_subscription(self, *, subscription_id: str, at_period_end: bool, prorate: bool,
                            idempotency_key: str, reason: str | None = None) -> SubscriptionRecord:
        """Cancel now ("cancelled") or when the prepaid term ends ("pending-cancel")."""
        self._require_subscriptions()
        if prorate:
            raise Unsupported("WooCommerce Subscriptions does not prorate on cancel; refund part of the "
                              "last order instead")
        sid = object_id(subscription_id, "subscription")
        done = self._canceled_subscription(subscription_id, idempotency_key, at_period_end=at_period_end)
        if done is not None:
            return done
        wanted = "pending-cancel" if at_period_end else "cancelled"
        return mappers.subscription_record(self.client.update_subscription(sid, status=wanted))

    def _canceled_subscription(self, subscription_id: str, _key: str, *,
                               at_period_end: bool = True) -> SubscriptionRecord | None:
        sub = self.client.subscription(object_id(subscription_id, "subscription"))
        finished = ENDED | ({"pending-cancel"} if at_period_end else set())
        return mappers.subscription_record(sub) if sub.get("status") in finished else None

    def create_subscription(self, *, customer_id: str, price_id: str, quantity: int, trial_days: int | None,
                            coupon: str | None, idempotency_key: str) -> SubscriptionRecord:
        raise Unsupported("Subscriptions start at the shop's checkout; WooCommerce cannot create one for a "
                          "customer's saved card through the REST API")

    def apply_coupon(self, *, target_kind: ObjectKind, target_id: str, code: str,
                     idempotency_key: str) -> SubscriptionRecord | CustomerRecord:
        raise Unsupported("WooCommerce coupons apply at checkout, not to a customer or subscription afterwards")

    # --- invoices ------------------------------------------------------------------------------
    def create_invoice(self, *, customer_id: str, currency: str, lines: tuple[InvoiceLineRecord, ...],
                       days_until_due: int, idempotency_key: str) -> InvoiceRecord:
        raise Unsupported("WooCommerce invoices are its orders; create the order in the shop")

    def send_invoice(self, *, invoice_id: str, idempotency_key: str) -> InvoiceRecord:
        """Email the order details (an unpaid order's invoice with its pay link, else the receipt)."""
        order_id = object_id(invoice_id, "order")
        if self._sent_invoice(invoice_id, idempotency_key) is None:
            self.client.send_order_details(order_id)
            self.client.add_note(order_id, SENT_NOTE.format(key=idempotency_key))
        return mappers.invoice_record(self.client.order(order_id))

    def _sent_invoice(self, invoice_id: str, key: str) -> InvoiceRecord | None:
        order_id = object_id(invoice_id, "order")
        sent = SENT_NOTE.format(key=key)
        if any(n.get("note") == sent for n in self.client.notes(order_id)):
            return mappers.invoice_record(self.client.order(order_id))
        return None

    def add_tax_id(self, *, customer_id: str, type: str, value: str, idempotency_key: str) -> TaxIdRecord:
        raise Unsupported("WooCommerce does not store customer tax IDs")

    # --- reconcile and webhooks ----------------------------------------------------------------
    def reconcile(self, *, operation: Operation, target_id: str, idempotency_key: str) -> BillingRecord | None:
        """What an interrupted call with this key left behind at the shop, or None."""
        if operation is Operation.REFUND:
            return self._refund_with_key(self.client.order(object_id(target_id, "order")), idempotency_key)
        if operation is Operation.CANCEL_SUBSCRIPTION and self.has_subscriptions:
            return self._canceled_subscription(target_id, idempotency_key)
        if operation is Operation.SEND_INVOICE:
            return self._sent_invoice(target_id, idempotency_key)
        return None

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes, verify: bool = True) -> GatewayEvent:
        """Verify X-WC-Webhook-Signature and map the delivery; no network I/O."""
        return webhooks.parse_webhook(headers, body, secrets=self.config.webhook_secrets, verify=verify)

    def hydrate_event(self, event: GatewayEvent) -> tuple[BillingRecord, ...]:
        """Fetch what the event names; (REFUND, order id) means that order's refunds, in full."""
        records: list[BillingRecord] = []
        for kind, external_id in event.refetch:
            if kind is ObjectKind.REFUND:  # "refunds of order <id>"
                try:
                    records += self._order_refunds(self.client.order(object_id(external_id, "order")))
                except GatewayNotFound:
                    continue
        plain = GatewayEvent(event_id=event.event_id, type=event.type, created_at=event.created_at,
                             refetch=tuple(r for r in event.refetch if r[0] is not ObjectKind.REFUND))
        return (*fetch_refetched(self, plain), *records)


def _marker(key: str) -> str:
    return f"[ChargeDesk {key}]"


def _reason(reason: str | None, note: str | None, key: str) -> str:
    """What the merchant sees on the refund in wp-admin, ending with our run id."""
    words = " - ".join(p for p in (reason, note) if p) or "Refund"
    return f"{words[:400]} {_marker(key)}"

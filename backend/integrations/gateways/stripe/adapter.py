"""StripeAdapter: the GatewayAdapter protocol over client.StripeApi (Stripe supports every capability).

Every POST carries the caller's idempotency key (multi-step operations derive sub-keys such as
f"{key}:finalize"), so a retried job replays Stripe's stored response instead of acting twice.
Amounts cross this edge through mappers.minor_to_stripe / stripe_to_minor.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

from ..contract import Capability, ConnectOption, GatewayConfig, Operation, fetch_refetched
from ..errors import GatewayNotFound, GatewayRejected, Unsupported
from ..records import (
    BillingRecord, ChargeRecord, CustomerRecord, GatewayEvent, InvoiceLineRecord, InvoiceRecord,
    ObjectKind, Page, RefundResult, SubscriptionRecord, TaxIdRecord,
)
from . import webhooks
from .client import StripeApi
from .listing import list_tax_id_page
from .mappers import (
    MAPPERS, map_charge, map_invoice, map_refund, map_subscription, map_tax_id, minor_to_stripe,
)
from .reconcile import KEY_METADATA, RECONCILERS

STRIPE_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
LIVE_SUBSCRIPTION_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid", "paused"})
RESOURCES: dict[ObjectKind, str] = {
    ObjectKind.CUSTOMER: "customers", ObjectKind.CHARGE: "charges", ObjectKind.REFUND: "refunds",
    ObjectKind.SUBSCRIPTION: "subscriptions", ObjectKind.INVOICE: "invoices",
    ObjectKind.DISPUTE: "disputes", ObjectKind.TAX_ID: "tax_ids",
}
LIST_FILTERS: dict[ObjectKind, dict[str, Any]] = {ObjectKind.SUBSCRIPTION: {"status": "all"}}
# Expanded on every read so records carry human discount codes ("SAVE20"), not di_ ids.
EXPANSIONS: dict[ObjectKind, list[str]] = {ObjectKind.SUBSCRIPTION: ["discounts.promotion_code"]}
MAX_PAGE_SIZE = 100  # Stripe's list limit


def _id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, Mapping) else value


def _without_none(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


class StripeAdapter:
    """Stripe through its official SDK; see the module docstring for the idempotency scheme."""

    name: ClassVar[str] = "stripe"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    syncable_kinds: ClassVar[tuple[ObjectKind, ...]] = (
        ObjectKind.CUSTOMER, ObjectKind.CHARGE, ObjectKind.REFUND, ObjectKind.SUBSCRIPTION,
        ObjectKind.INVOICE, ObjectKind.TAX_ID, ObjectKind.DISPUTE,
    )
    connect_options: ClassVar[tuple[ConnectOption, ...]] = (
        ConnectOption("api_key", "Stripe secret key (sk_live_... / sk_test_...) or a restricted key"),
    )
    webhook_secret_required: ClassVar[bool] = False

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self._api = StripeApi(config)

    # --- reading -----------------------------------------------------------------------------
    def list_page(self, kind: ObjectKind, *, cursor: str | None, limit: int = 100) -> Page:
        """One page; the cursor is the last object's id (Stripe's starting_after)."""
        kind, limit = ObjectKind(kind), max(1, min(int(limit), MAX_PAGE_SIZE))
        if kind is ObjectKind.TAX_ID:
            return list_tax_id_page(self._api, cursor=cursor, limit=limit)
        params = {"limit": limit, **LIST_FILTERS.get(kind, {})}
        if kind in EXPANSIONS:
            params["expand"] = [f"data.{path}" for path in EXPANSIONS[kind]]
        if cursor:
            params["starting_after"] = cursor
        page = self._api.list(self._resource(kind), params)
        data = page.get("data") or []
        next_cursor = data[-1]["id"] if page.get("has_more") and data else None
        return Page(items=tuple(MAPPERS[kind](obj) for obj in data), next_cursor=next_cursor)

    def fetch(self, kind: ObjectKind, external_id: str) -> BillingRecord:
        """The object's current state; a deleted one counts as not found."""
        kind = ObjectKind(kind)
        obj = self._api.retrieve(self._resource(kind), external_id,
                                 {"expand": EXPANSIONS[kind]} if kind in EXPANSIONS else None)
        if obj.get("deleted"):
            raise GatewayNotFound(f"Stripe {kind} {external_id} was deleted",
                                  code="resource_missing", http_status=404)
        return MAPPERS[kind](obj)

    @staticmethod
    def _resource(kind: ObjectKind) -> str:
        if kind not in RESOURCES:
            raise Unsupported(f"Stripe has no {kind!s} objects")
        return RESOURCES[kind]

    def _charge(self, charge_id: str) -> dict:
        return self._api.retrieve("charges", charge_id)

    # --- payments ----------------------------------------------------------------------------
    def refund(self, *, charge_id: str, amount: int | None, currency: str, reason: str | None,
               note: str | None, idempotency_key: str) -> RefundResult:
        """Full (amount None) or partial refund; our reason/note ride along in metadata.

        Two calls: the charge (its currency decides how `amount` converts, so it is checked before
        any money moves), then the refund with its charge expanded, i.e. the charge as the refund
        left it. A replayed response carries the charge as it was then, so that one is re-read.
        """
        charge = self._charge(charge_id)
        if str(charge.get("currency", "")).upper() != currency.upper():
            raise GatewayRejected(f"charge {charge_id} is in {str(charge.get('currency')).upper()}, "
                                  f"not {currency.upper()}", code="currency_mismatch")
        params = _without_none({
            "charge": charge_id,
            "amount": None if amount is None else minor_to_stripe(amount, currency),
            "reason": reason if reason in STRIPE_REFUND_REASONS else None,
            "metadata": _refund_metadata(reason, note, idempotency_key),
            "expand": ["charge"],
        })
        reply = self._api.create_refund(params, idempotency_key=idempotency_key)
        after = reply.data.get("charge")
        if reply.replayed or not isinstance(after, Mapping):
            after = self._charge(charge_id)
        return RefundResult(refund=map_refund(reply.data), charge=map_charge(after))

    def capture(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> ChargeRecord:
        """Capture an authorization, through its PaymentIntent when it has one."""
        charge = self._charge(charge_id)
        to_capture = None if amount is None else minor_to_stripe(amount, charge["currency"])
        intent = _id(charge.get("payment_intent"))
        if intent:
            self._api.capture_payment_intent(intent, _without_none({"amount_to_capture": to_capture}),
                                             idempotency_key=idempotency_key)
        else:
            self._api.capture_charge(charge_id, _without_none({"amount": to_capture}),
                                     idempotency_key=idempotency_key)
        return map_charge(self._charge(charge_id))

    def void(self, *, charge_id: str, idempotency_key: str) -> ChargeRecord:
        """Release an authorization: cancel its PaymentIntent, or refund an uncaptured legacy charge."""
        charge = self._charge(charge_id)
        intent = _id(charge.get("payment_intent"))
        if intent:
            self._api.cancel_payment_intent(intent, idempotency_key=idempotency_key)
        elif charge.get("captured"):
            raise GatewayRejected(f"charge {charge_id} is already captured; refund it instead",
                                  code="charge_already_captured")
        else:
            self._api.create_refund({"charge": charge_id, "metadata": {KEY_METADATA: idempotency_key}},
                                    idempotency_key=idempotency_key)
        return map_charge(self._charge(charge_id))

    # --- subscriptions -----------------------------------------------------------------------
    def cancel_subscription(self, *, subscription_id: str, at_period_end: bool, prorate: bool,
                            idempotency_key: str, reason: str | None = None) -> SubscriptionRecord:
        """At period end: flag it. Now: cancel, crediting unused time on a final invoice if prorate."""
        if at_period_end:
            subscription = self._api.update_subscription(
                subscription_id, _expanded({"cancel_at_period_end": True}),
                idempotency_key=idempotency_key)
        else:
            params = {"prorate": True, "invoice_now": True} if prorate else {"prorate": False}
            subscription = self._api.cancel_subscription(subscription_id, _expanded(params))
        return map_subscription(subscription)

    def create_subscription(self, *, customer_id: str, price_id: str, quantity: int,
                            trial_days: int | None, coupon: str | None,
                            idempotency_key: str) -> SubscriptionRecord:
        """Our key goes in metadata too, so reconcile can find the subscription by customer."""
        params = _without_none({
            "customer": customer_id,
            "items": [{"price": price_id, "quantity": quantity}],
            "trial_period_days": trial_days or None,
            "discounts": [self._discount(coupon)] if coupon else None,
            "metadata": {KEY_METADATA: idempotency_key},
        })
        created = self._api.create_subscription(_expanded(params), idempotency_key=idempotency_key)
        return map_subscription(created)

    def _discount(self, code: str) -> dict[str, str]:
        """A human code ("SAVE20") as a promotion code when one is active, else as a coupon id."""
        if code.startswith("promo_"):
            return {"promotion_code": code}
        found = self._api.list_promotion_codes({"code": code, "active": True, "limit": 1})
        data = found.get("data") or []
        return {"promotion_code": data[0]["id"]} if data else {"coupon": code}

    # --- invoices ----------------------------------------------------------------------------
    def create_invoice(self, *, customer_id: str, currency: str,
                       lines: tuple[InvoiceLineRecord, ...], days_until_due: int,
                       idempotency_key: str) -> InvoiceRecord:
        """A draft `send_invoice` invoice, then one invoice item per line (amount = line total)."""
        invoice = self._api.create_invoice({
            "customer": customer_id, "currency": currency.lower(),
            "collection_method": "send_invoice", "days_until_due": days_until_due,
            "metadata": {KEY_METADATA: idempotency_key},
        }, idempotency_key=f"{idempotency_key}:invoice")
        for index, line in enumerate(lines):
            self._api.create_invoice_item(_without_none({
                "customer": customer_id, "invoice": invoice["id"], "currency": currency.lower(),
                "amount": minor_to_stripe(line.amount, currency), "description": line.description,
            }), idempotency_key=f"{idempotency_key}:line:{index}")
        return map_invoice(self._api.retrieve("invoices", invoice["id"]))

    def send_invoice(self, *, invoice_id: str, idempotency_key: str) -> InvoiceRecord:
        """Finalize a draft (Stripe numbers it then), then have Stripe email it."""
        invoice = self._api.retrieve("invoices", invoice_id)
        if invoice.get("status") == "draft":
            self._api.finalize_invoice(invoice_id, idempotency_key=f"{idempotency_key}:finalize")
        return map_invoice(self._api.send_invoice(invoice_id, idempotency_key=f"{idempotency_key}:send"))

    # --- coupons and tax ids -----------------------------------------------------------------
    def apply_coupon(self, *, target_kind: ObjectKind, target_id: str, code: str,
                     idempotency_key: str) -> SubscriptionRecord | CustomerRecord:
        """On a subscription: add the discount. On a customer: add it to each live subscription,
        because Stripe removed customer-level coupons in API 2025-03-31.basil."""
        target_kind = ObjectKind(target_kind)
        if target_kind not in (ObjectKind.SUBSCRIPTION, ObjectKind.CUSTOMER):
            raise Unsupported(f"coupons apply to subscriptions or customers, not {target_kind!s}")
        discount = self._discount(code)
        if target_kind is ObjectKind.SUBSCRIPTION:
            return map_subscription(self._add_discount(target_id, discount, idempotency_key))
        live = [sub for sub in self._subscriptions_of(target_id)
                if sub.get("status") in LIVE_SUBSCRIPTION_STATUSES]
        if not live:
            raise GatewayRejected(f"customer {target_id} has no live subscription to discount "
                                  "(Stripe has no customer-level coupons)", code="no_subscription")
        for sub in live:
            self._add_discount(sub["id"], discount, f"{idempotency_key}:{sub['id']}")
        return self.fetch(ObjectKind.CUSTOMER, target_id)

    def _add_discount(self, subscription_id: str, discount: dict[str, str], key: str) -> dict:
        """Keep existing discounts (Stripe replaces the list); no-op if this one is already on."""
        subscription = self._api.retrieve("subscriptions", subscription_id, _expanded({}))
        existing = subscription.get("discounts") or []
        if any(_discount_matches(applied, discount) for applied in existing):
            return subscription
        kept = [{"discount": _id(applied)} for applied in existing]
        return self._api.update_subscription(subscription_id, _expanded({"discounts": kept + [discount]}),
                                             idempotency_key=key)

    def _subscriptions_of(self, customer_id: str) -> list[dict]:
        params = {"customer": customer_id, "status": "all", "limit": MAX_PAGE_SIZE}
        return self._api.list("subscriptions", params).get("data") or []

    def add_tax_id(self, *, customer_id: str, type: str, value: str,
                   idempotency_key: str) -> TaxIdRecord:
        """Stripe validates the value's format for the type and starts verification (eu_vat)."""
        created = self._api.create_customer_tax_id(customer_id, {"type": type, "value": value},
                                                   idempotency_key=idempotency_key)
        return map_tax_id(created)

    # --- reconcile ---------------------------------------------------------------------------
    def reconcile(self, *, operation: Operation, target_id: str,
                  idempotency_key: str) -> BillingRecord | None:
        """What an interrupted call left behind, found by our key or by the target's state.

        REFUND (target: charge) -> the refund whose metadata chargedesk_key is the key.
        CAPTURE / VOID (target: charge) -> the charge, if already captured / voided.
        CANCEL_SUBSCRIPTION -> the subscription, if canceled or set to cancel at period end.
        CREATE_SUBSCRIPTION / CREATE_INVOICE (target: customer) -> the one carrying the key.
        SEND_INVOICE, APPLY_COUPON, ADD_TAX_ID -> None: nothing at Stripe records our key, and a
        retry with the same key is safe (Stripe replays keyed requests for 24 h; apply_coupon
        skips a discount that is already on).
        """
        reconciler = RECONCILERS.get(operation)
        return reconciler(self._api, target_id, idempotency_key) if reconciler else None

    # --- webhooks ----------------------------------------------------------------------------
    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes,
                      verify: bool = True) -> GatewayEvent:
        """Verified against every configured secret (rotation); see webhooks.py."""
        if not verify:
            return webhooks.parse_event(body)
        return webhooks.parse_webhook(headers=headers, body=body,
                                      secrets=tuple(self.config.webhook_secrets))

    def hydrate_event(self, event: GatewayEvent) -> tuple[BillingRecord, ...]:
        return fetch_refetched(self, event)


def _expanded(params: dict[str, Any]) -> dict[str, Any]:
    """Subscription params plus the expansions every subscription read uses."""
    return {**params, "expand": EXPANSIONS[ObjectKind.SUBSCRIPTION]}


def _refund_metadata(reason: str | None, note: str | None, key: str) -> dict[str, str]:
    """Our key for reconcile, plus what Stripe's reason enum cannot hold (500-char limit)."""
    metadata = {KEY_METADATA: key}
    if reason and reason not in STRIPE_REFUND_REASONS:
        metadata["reason"] = reason[:500]
    if note:
        metadata["note"] = note[:500]
    return metadata


def _discount_matches(applied: Any, wanted: dict[str, str]) -> bool:
    """Whether an (expanded) applied discount came from the wanted coupon or promotion code."""
    if not isinstance(applied, Mapping):
        return False
    coupon = _id((applied.get("source") or {}).get("coupon") or applied.get("coupon"))
    if "promotion_code" in wanted:
        return _id(applied.get("promotion_code")) == wanted["promotion_code"]
    return coupon == wanted.get("coupon")

"""PayPalAdapter: the GatewayAdapter contract over PayPal's REST APIs (through client.py).

Charges are authorizations (with their captures) and captures made straight from an order; refunds
come from the order's `payments.refunds`; subscriptions are Billing subscriptions; invoices are
Invoicing v2 invoices; customers are payers keyed by email (PayPal has no customer object).
Backfill walks Transaction Search in 31-day windows (resumable cursor), then lists subscriptions
and invoices by page.

Idempotency: every POST carries PayPal-Request-Id = our run id (PayPal replays the first answer for
45 days); refunds also carry the run id as custom_id, so reconcile finds one whose answer was lost.
PayPal cannot cancel at the end of the period or prorate, create subscriptions for a payer, apply
coupons or store tax ids: those capabilities are missing and raise Unsupported before any call.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import ClassVar, Mapping

from backend.money import normalize_currency, to_decimal_string

from ..contract import Capability, ConnectOption, GatewayConfig, Operation
from ..errors import GatewayNotFound, GatewayRejected, Unsupported
from ..records import (
    BillingRecord, ChargeRecord, ChargeStatus, CustomerRecord, GatewayEvent, InvoiceLineRecord, InvoiceRecord,
    ObjectKind, Page, RefundRecord, RefundResult, SubscriptionRecord, SubscriptionStatus, TaxIdRecord,
)
from . import listing, mappers, webhooks
from .client import PayPalClient
from .paging import Cursor

PAYMENT_CODES = frozenset({"T0006", "T1300"})  # a capture from an order; an authorization
REFUND_CODES = frozenset({"T1107"})
OPEN_INVOICE = frozenset({"SENT", "UNPAID", "PARTIALLY_PAID", "PAYMENT_PENDING"})
CANCEL_REASON = "Canceled by the merchant's support team (ChargeDesk run {key})"


def paypal_id(external_id: str, what: str) -> str:
    """PayPal ids are short upper-case alphanumerics (with - in some); anything else cannot exist."""
    text = str(external_id or "")
    if not text or len(text) > 64 or not all(c.isalnum() or c in "-_" for c in text):
        raise GatewayNotFound(f"PayPal has no {what} {external_id!r}", code="INVALID_RESOURCE_ID")
    return text


class PayPalAdapter:
    name: ClassVar[str] = "paypal"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.REFUND, Capability.PARTIAL_REFUND, Capability.CAPTURE, Capability.PARTIAL_CAPTURE,
        Capability.VOID, Capability.CANCEL_NOW, Capability.CREATE_INVOICE, Capability.SEND_INVOICE,
        Capability.WEBHOOKS})
    syncable_kinds: ClassVar[tuple[ObjectKind, ...]] = (
        ObjectKind.CUSTOMER, ObjectKind.CHARGE, ObjectKind.REFUND, ObjectKind.SUBSCRIPTION, ObjectKind.INVOICE)
    connect_options: ClassVar[tuple[ConnectOption, ...]] = (
        ConnectOption("client_id", "REST app client id (developer.paypal.com > Apps & Credentials)", secret=False),
        ConnectOption("client_secret", "REST app secret"),
        ConnectOption("webhook_id", "The id of the app's webhook (signed into every delivery; needed to verify "
                      "them)", secret=False, required=False),
        ConnectOption("webhook_verification", "offline (default: RSA signature checked here with PayPal's "
                      "certificate) or api (PayPal's verify-webhook-signature call per delivery)",
                      secret=False, required=False),
    )
    webhook_secret_required: ClassVar[bool] = False  # PayPal signs with its certificate, not a shared secret

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.client = PayPalClient(config)
        self.history_days = int(config.settings.get("history_days", 365))
        self.verification = config.credentials.get("webhook_verification") or "offline"
        if self.verification not in ("offline", "api"):
            raise ValueError("--webhook-verification must be offline or api")

    # --- reading -------------------------------------------------------------------------------
    def list_page(self, kind: ObjectKind, *, cursor: str | None, limit: int = 100) -> Page:
        kind = ObjectKind(kind)
        if not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100")
        position = Cursor.decode(cursor)
        client, since = self.client, self.history_days
        if kind is ObjectKind.SUBSCRIPTION:
            return listing.numbered(position, min(limit, 20), lambda p, n: listing.subscriptions(client, p, n))
        if kind is ObjectKind.INVOICE:
            return listing.numbered(position, limit, lambda p, n: listing.invoices(client, p, n))
        if kind is ObjectKind.CUSTOMER:
            if position is not None and position.phase == 1:
                return listing.numbered(position, limit, lambda p, n: listing.invoice_recipients(client, p, n),
                                        phase=1)
            page = listing.transactions(client, position, limit, since, PAYMENT_CODES, listing.payers,
                                        then=Cursor(phase=1))
            return Page(items=mappers.unique_customers(page.items), next_cursor=page.next_cursor)
        if kind is ObjectKind.CHARGE:
            return listing.transactions(client, position, limit, since, PAYMENT_CODES,
                                        lambda details: listing.charges(client, details))
        if kind is ObjectKind.REFUND:
            return listing.transactions(client, position, limit, since, REFUND_CODES,
                                        lambda details: listing.refunds(client, details))
        raise Unsupported(f"PayPal has no {kind.value} objects to list")

    def fetch(self, kind: ObjectKind, external_id: str) -> BillingRecord:
        kind = ObjectKind(kind)
        if kind is ObjectKind.CHARGE:
            return self._charge(paypal_id(external_id, "payment"))[0]
        if kind is ObjectKind.REFUND:
            refund = self.client.refund(paypal_id(external_id, "refund"))
            capture_id = mappers.up_id(refund, "captures")
            charge_id = self._charge(capture_id)[0].external_id if capture_id else None
            return mappers.refund_record(refund, charge_id=charge_id)
        if kind is ObjectKind.SUBSCRIPTION:
            return mappers.subscription_record(self.client.subscription(paypal_id(external_id, "subscription")))
        if kind is ObjectKind.INVOICE:
            return mappers.invoice_record(self.client.invoice(paypal_id(external_id, "invoice")))
        if kind is ObjectKind.CUSTOMER:
            email = mappers.email_key(external_id)
            if not email or "@" not in email:
                raise GatewayNotFound(f"PayPal customers are payers known by email; {external_id!r} is not one")
            return CustomerRecord(external_id=email, email=email, emails=(email,))
        raise Unsupported(f"PayPal cannot look up a {kind.value}")

    def _charge(self, payment_id: str) -> tuple[ChargeRecord, dict]:
        """The charge a capture or authorization id belongs to, and its order."""
        try:
            payment = self.client.capture(payment_id)
        except GatewayNotFound:
            payment = self.client.authorization(payment_id)
        order = self.client.order(mappers.order_of(payment) or "")
        charge_id = mappers.charge_id_of_capture(order, payment_id)
        found = [c for c in mappers.charges_of_order(order) if c.external_id == charge_id]
        if not found:
            raise GatewayNotFound(f"PayPal payment {payment_id} is not in its order", code="INVALID_RESOURCE_ID")
        return found[0], order

    # --- money ---------------------------------------------------------------------------------
    def refund(self, *, charge_id: str, amount: int | None, currency: str,
               reason: str | None, note: str | None, idempotency_key: str) -> RefundResult:
        """Refund the charge's capture (all that is left when amount is None), keyed by the run id."""
        if amount is not None and amount <= 0:
            raise GatewayRejected("A refund amount must be positive", code="invalid_amount")
        charge, order = self._charge(paypal_id(charge_id, "payment"))
        done = self._refund_with_key(order, idempotency_key)
        if done is not None:
            return RefundResult(refund=done, charge=self.fetch(ObjectKind.CHARGE, charge.external_id))
        if normalize_currency(currency) != charge.currency:
            raise GatewayRejected(f"Payment {charge_id} is in {charge.currency}, not {normalize_currency(currency)}",
                                  code="currency_mismatch")
        capture = self._capture_to_refund(order, charge, amount)
        created = self.client.refund_capture(
            capture["id"], amount=(to_decimal_string(amount, charge.currency), charge.currency) if amount else None,
            note=note or None, custom_id=idempotency_key, request_id=idempotency_key)
        after = self.fetch(ObjectKind.CHARGE, charge.external_id)
        return RefundResult(refund=mappers.refund_record(created, charge_id=charge.external_id), charge=after)

    def _capture_to_refund(self, order: dict, charge: ChargeRecord, amount: int | None) -> dict:
        captures = mappers.captures_of_charge(order, charge.external_id)
        if not captures:
            raise GatewayRejected(f"Payment {charge.external_id} has not been captured; void the authorization "
                                  "instead", code="not_captured")
        if len(captures) == 1:
            return captures[0]
        _a, _c, refunds = mappers.payments_of(order)
        for capture in captures:
            taken = sum(mappers.money(r["amount"])[0] for r in refunds if mappers.up_id(r, "captures") == capture["id"])
            if amount is not None and mappers.money(capture["amount"])[0] - taken >= amount:
                return capture
        raise GatewayRejected("This payment was captured in several parts and no single capture has that much "
                              "left; refund each capture in PayPal", code="several_captures")

    def _refund_with_key(self, order: dict, key: str) -> RefundRecord | None:
        """The refund this run already made on the order (its custom_id is the run id), if any."""
        _a, _c, refunds = mappers.payments_of(order)
        for refund in refunds:
            if refund.get("custom_id") == key:
                return mappers.refund_record(refund, charge_id=mappers.charge_id_of_capture(
                    order, mappers.up_id(refund, "captures") or ""))
        return None

    def capture(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> ChargeRecord:
        """Capture an authorization (final: what is not captured is released)."""
        auth_id = paypal_id(charge_id, "authorization")
        auth = self.client.authorization(auth_id)
        value = None
        if amount is not None:
            if amount <= 0:
                raise GatewayRejected("A capture amount must be positive", code="invalid_amount")
            currency = mappers.money(auth.get("amount"))[1]
            value = (to_decimal_string(amount, currency), currency)
        self.client.capture_authorization(auth_id, amount=value, request_id=idempotency_key)
        return self.fetch(ObjectKind.CHARGE, auth_id)

    def void(self, *, charge_id: str, idempotency_key: str) -> ChargeRecord:
        auth_id = paypal_id(charge_id, "authorization")
        self.client.void_authorization(auth_id, request_id=idempotency_key)
        return self.fetch(ObjectKind.CHARGE, auth_id)

    # --- subscriptions -------------------------------------------------------------------------
    def cancel_subscription(self, *, subscription_id: str, at_period_end: bool, prorate: bool,
                            idempotency_key: str, reason: str | None = None) -> SubscriptionRecord:
        """Cancel now with a reason (PayPal requires one); PayPal has no cancel-at-period-end or proration."""
        if at_period_end:
            raise Unsupported("PayPal cancels a subscription at once (billing stops; the paid period is not "
                              "extended); it cannot cancel at the end of the period")
        if prorate:
            raise Unsupported("PayPal does not prorate on cancel; refund part of the last payment instead")
        sub_id = paypal_id(subscription_id, "subscription")
        done = self._canceled_subscription(sub_id)
        if done is not None:
            return done
        text = " ".join((reason or "").split())[:128] or CANCEL_REASON.format(key=idempotency_key)
        self.client.cancel_subscription(sub_id, reason=text)
        return self.fetch(ObjectKind.SUBSCRIPTION, sub_id)

    def _canceled_subscription(self, sub_id: str) -> SubscriptionRecord | None:
        record = mappers.subscription_record(self.client.subscription(sub_id))
        return record if record.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED) else None

    def create_subscription(self, *, customer_id: str, price_id: str, quantity: int, trial_days: int | None,
                            coupon: str | None, idempotency_key: str) -> SubscriptionRecord:
        raise Unsupported("A PayPal subscription needs the payer's approval on paypal.com; it cannot be "
                          "started for them")

    def apply_coupon(self, *, target_kind: ObjectKind, target_id: str, code: str,
                     idempotency_key: str) -> SubscriptionRecord | CustomerRecord:
        raise Unsupported("PayPal has no coupons")

    def add_tax_id(self, *, customer_id: str, type: str, value: str, idempotency_key: str) -> TaxIdRecord:
        raise Unsupported("PayPal does not store customer tax IDs")

    # --- invoices ------------------------------------------------------------------------------
    def create_invoice(self, *, customer_id: str, currency: str, lines: tuple[InvoiceLineRecord, ...],
                       days_until_due: int, idempotency_key: str) -> InvoiceRecord:
        """A DRAFT invoice to the payer's email (send it with send_invoice)."""
        email = mappers.email_key(customer_id)
        if not email or "@" not in email:
            raise GatewayRejected("PayPal invoices a payer by email; this customer has none", code="no_email")
        if not lines or any(line.amount <= 0 or line.quantity < 1 for line in lines):
            raise GatewayRejected("An invoice needs lines with positive amounts", code="invalid_lines")
        code = normalize_currency(currency)
        due = (datetime.now(timezone.utc) + timedelta(days=max(0, int(days_until_due)))).strftime("%Y-%m-%d")
        body = {"detail": {"currency_code": code, "payment_term": {"due_date": due},
                           "note": f"ChargeDesk run {idempotency_key}"[:4000]},
                "primary_recipients": [{"billing_info": {"email_address": email}}],
                "items": [{"name": (line.description or "Item")[:200], "quantity": "1",
                           "unit_amount": {"currency_code": code, "value": to_decimal_string(line.amount, code)}}
                          for line in lines]}
        return mappers.invoice_record(self.client.create_invoice(body, request_id=idempotency_key))

    def send_invoice(self, *, invoice_id: str, idempotency_key: str) -> InvoiceRecord:
        """A draft is sent; a sent, unpaid invoice gets a payment request (reminder) instead."""
        inv_id = paypal_id(invoice_id, "invoice")
        status = self.client.invoice(inv_id).get("status")
        if status == "DRAFT":
            self.client.send_invoice(inv_id, request_id=idempotency_key)
        elif status in OPEN_INVOICE:
            self.client.remind_invoice(inv_id, request_id=idempotency_key)
        else:
            raise GatewayRejected(f"PayPal invoice {inv_id} is {status}; only a draft or an unpaid invoice "
                                  "can be sent", code="invoice_not_sendable")
        return self.fetch(ObjectKind.INVOICE, inv_id)

    # --- reconcile and webhooks ----------------------------------------------------------------
    def reconcile(self, *, operation: Operation, target_id: str, idempotency_key: str) -> BillingRecord | None:
        """What an interrupted call with this key left behind at PayPal, or None."""
        if operation is Operation.REFUND:
            _charge, order = self._charge(paypal_id(target_id, "payment"))
            return self._refund_with_key(order, idempotency_key)
        if operation in (Operation.CAPTURE, Operation.VOID):
            charge = self.fetch(ObjectKind.CHARGE, target_id)
            moved = charge.amount_captured > 0 if operation is Operation.CAPTURE \
                else charge.status is ChargeStatus.CANCELED
            return charge if moved else None
        if operation is Operation.CANCEL_SUBSCRIPTION:
            return self._canceled_subscription(paypal_id(target_id, "subscription"))
        return None  # invoices: PayPal-Request-Id makes a repeated send/remind a replay

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes, verify: bool = True) -> GatewayEvent:
        """Verify the SHA256withRSA signature offline (certificate fetched once, cached) and map the event."""
        return webhooks.parse_webhook(headers, body, webhook_id=self.config.credentials.get("webhook_id"),
                                      api_base=self.config.api_base, fetch=self.client.certificate, verify=verify,
                                      ask=self.client.verify_webhook_signature if self.verification == "api" else None)

    def hydrate_event(self, event: GatewayEvent) -> tuple[BillingRecord, ...]:
        """The named objects fetched now, each preceded by its payer (PayPal has no customer events)."""
        records: list[BillingRecord] = []
        for kind, external_id in event.refetch:
            try:
                records += self._with_payer(kind, external_id)
            except GatewayNotFound:
                continue
        return tuple(records)

    def _with_payer(self, kind: ObjectKind, external_id: str) -> list:
        if kind is ObjectKind.CHARGE:
            charge, order = self._charge(paypal_id(external_id, "payment"))
            return [c for c in (mappers.customer_from_order(order),) if c] + [charge]
        if kind is ObjectKind.SUBSCRIPTION:
            sub = self.client.subscription(paypal_id(external_id, "subscription"))
            return [c for c in (mappers.customer_from_subscriber(sub),) if c] + [mappers.subscription_record(sub)]
        if kind is ObjectKind.INVOICE:
            invoice = self.client.invoice(paypal_id(external_id, "invoice"))
            return [c for c in (mappers.customer_from_invoice(invoice),) if c] + [mappers.invoice_record(invoice)]
        return [self.fetch(kind, external_id)]

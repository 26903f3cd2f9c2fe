"""RecurlyAdapter: the GatewayAdapter contract over Recurly API v2021-02-25 (through client.py).

How our vocabulary lands on Recurly:
- charge = a purchase/capture transaction. Refunding it refunds its invoice
  (refund_invoice type=amount, refund_method=transaction_first); Recurly answers with a credit
  invoice holding the refund transaction.
- reconcile(REFUND): the credit invoice's customer_notes carry "chargedesk-ref:<key>" (the one
  free-text field InvoiceRefund has), so we find the refund among the account's credit invoices.
- cancel at period end = cancel (timeframe term_end, or settings["cancel_timeframe"] =
  "bill_date"); the subscription stays "canceled" and served until current_period_ends_at.
  Cancel now = terminate (refund none, or partial when prorating) -> "expired".
- send_invoice = collect_invoice: Recurly emails invoices itself when it creates them and has no
  "send" call; what an agent can trigger is collecting an open automatic invoice now.
- tax ids: Recurly has one VAT number per account (and one on billing info); add_tax_id sets the
  account's (plus billing info's when settings["vat_on_billing_info"] is true).
- Not offered (see capabilities): capture/void (Recurly authorizations are gateway-specific
  purchases outside this adapter) and create_invoice (Recurly has no draft invoices).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, ClassVar

from . import mappers, webhooks
from .client import RecurlyClient
from ..contract import Capability, ConnectOption, GatewayConfig, Operation
from ..errors import GatewayNotFound, GatewayRejected, Unsupported
from ..records import (BillingRecord, ChargeRecord, CustomerRecord, GatewayEvent,
                       InvoiceRecord, ObjectKind, Page, RefundResult, SubscriptionRecord,
                       TaxIdRecord)

_LISTINGS = {  # kind -> (site-wide list path, filters)
    ObjectKind.CUSTOMER: ("/accounts", {}), ObjectKind.TAX_ID: ("/accounts", {}),
    ObjectKind.CHARGE: ("/transactions", {"type": "payment"}),
    ObjectKind.REFUND: ("/transactions", {"type": "refund"}),
    ObjectKind.SUBSCRIPTION: ("/subscriptions", {}), ObjectKind.INVOICE: ("/invoices", {}),
}
_OPEN_REFUND_STATES = ("success", "pending", "processing", "scheduled")


class RecurlyAdapter:
    name: ClassVar[str] = "recurly"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.REFUND, Capability.PARTIAL_REFUND, Capability.CANCEL_NOW,
        Capability.CANCEL_AT_PERIOD_END, Capability.CANCEL_PRORATE,
        Capability.CREATE_SUBSCRIPTION, Capability.SUBSCRIPTION_TRIAL, Capability.SEND_INVOICE,
        Capability.COUPON_ON_CUSTOMER, Capability.COUPON_ON_SUBSCRIPTION, Capability.TAX_IDS,
        Capability.WEBHOOKS})
    syncable_kinds: ClassVar[tuple[ObjectKind, ...]] = (
        ObjectKind.CUSTOMER, ObjectKind.CHARGE, ObjectKind.REFUND, ObjectKind.SUBSCRIPTION,
        ObjectKind.INVOICE, ObjectKind.TAX_ID)
    connect_options: ClassVar[tuple[ConnectOption, ...]] = (
        ConnectOption("api_key", "Recurly private API key (Integrations > API Credentials)"),)
    webhook_secret_required: ClassVar[bool] = True

    def __init__(self, config: GatewayConfig, *, clock: Callable[[], datetime] | None = None):
        self._config = config
        self._client = RecurlyClient(config)
        self._now = clock or (lambda: datetime.now(timezone.utc))

    # --- reading --------------------------------------------------------------------------------
    def list_page(self, kind: ObjectKind, *, cursor: str | None, limit: int = 100) -> Page:
        """One page, oldest update first; the cursor is Recurly's own `next` path (resumable)."""
        if kind not in _LISTINGS:
            raise Unsupported(f"Recurly has no {kind} listing here")
        path, filters = _LISTINGS[kind]
        if cursor:
            page = self._client.list_page(path, next_path=cursor)
        else:
            params = {"limit": min(max(limit, 1), 200), "order": "asc", "sort": "updated_at"}
            page = self._client.list_page(path, params={**params, **filters})
        return Page(items=tuple(self._records(kind, page.data)), next_cursor=page.next_path)

    def fetch(self, kind: ObjectKind, external_id: str) -> BillingRecord:
        if kind is ObjectKind.CUSTOMER:
            return mappers.customer(self._client.get_account(external_id))
        if kind in (ObjectKind.CHARGE, ObjectKind.REFUND):
            record = self._transaction_record(self._client.get_transaction(external_id))
            if (kind is ObjectKind.CHARGE) != isinstance(record, ChargeRecord):
                raise GatewayNotFound(f"Recurly transaction {external_id} is not a {kind}")
            return record
        if kind is ObjectKind.SUBSCRIPTION:
            return self._subscription(self._client.get_subscription(external_id))
        if kind is ObjectKind.INVOICE:
            return self._invoice(self._client.get_invoice(external_id))
        if kind is ObjectKind.TAX_ID:
            return self._tax_id(external_id)
        raise Unsupported(f"Recurly has no {kind} objects here")

    # --- one-click operations -------------------------------------------------------------------
    def refund(self, *, charge_id: str, amount: int | None, currency: str,
               reason: str | None, note: str | None, idempotency_key: str) -> RefundResult:
        """Refund (part of) a payment through its invoice; returns the refund and the charge."""
        txn = self._client.get_transaction(charge_id)
        mappers.check_refundable(txn, amount, currency)
        notes = "\n".join(filter(None, [note, mappers.refund_marker(idempotency_key)]))
        body = {"type": "amount", "refund_method": "transaction_first",
                "credit_customer_notes": notes}
        if amount is not None:
            body["amount"] = mappers.wire_amount(amount, txn.currency)
        credit = self._client.refund_invoice(txn.invoice.id, body,
                                             idempotency_key=idempotency_key)
        refund = mappers.refund_from_credit_invoice(credit, charge_id, reason=reason)
        charge = self._transaction_record(self._client.get_transaction(charge_id))
        return RefundResult(refund=refund, charge=charge)

    def capture(self, *, charge_id: str, amount: int | None, idempotency_key: str) -> ChargeRecord:
        raise Unsupported("capture is not offered for Recurly (no separate authorizations here)")

    def void(self, *, charge_id: str, idempotency_key: str) -> ChargeRecord:
        raise Unsupported("void is not offered for Recurly; refund the payment instead")

    def cancel_subscription(self, *, subscription_id: str, at_period_end: bool, prorate: bool,
                            idempotency_key: str, reason: str | None = None) -> SubscriptionRecord:
        if at_period_end and prorate:
            raise Unsupported("Recurly prorates only when ending a subscription now")
        if at_period_end:
            timeframe = self._config.settings.get("cancel_timeframe", "term_end")
            sub = self._client.cancel_subscription(subscription_id, timeframe=timeframe,
                                                   idempotency_key=idempotency_key)
        else:
            sub = self._client.terminate_subscription(
                subscription_id, refund="partial" if prorate else "none",
                idempotency_key=idempotency_key)
        return self._subscription(sub)

    def create_subscription(self, *, customer_id: str, price_id: str, quantity: int,
                            trial_days: int | None, coupon: str | None,
                            idempotency_key: str) -> SubscriptionRecord:
        """Subscribe an account to plan `price_id` (a plan code), in the plan's currency."""
        account = self._client.get_account(customer_id)
        plan = self._client.get_plan(f"code-{price_id}")
        body = {"plan_code": plan.code, "currency": self._plan_currency(plan),
                "account": {"code": account.code}, "quantity": quantity}
        if trial_days:
            body["trial_ends_at"] = self._trial_end(trial_days)
        if coupon:
            body["coupon_codes"] = [coupon]
        return self._subscription(self._client.create_subscription(
            body, idempotency_key=idempotency_key))

    def create_invoice(self, *, customer_id, currency, lines, days_until_due,
                       idempotency_key) -> InvoiceRecord:
        raise Unsupported("Recurly has no draft invoices; charges are invoiced when created")

    def send_invoice(self, *, invoice_id: str, idempotency_key: str) -> InvoiceRecord:
        """Collect an open automatic invoice now (Recurly emails invoices on its own)."""
        invoice = self._client.get_invoice(invoice_id)
        if invoice.collection_method != "automatic":
            raise GatewayRejected("Recurly emails manual invoices when it creates them and has "
                                  "no call to re-send one; only automatic invoices can be "
                                  "collected", code="manual_invoice")
        return self._invoice(self._client.collect_invoice(invoice.id,
                                                          idempotency_key=idempotency_key))

    def apply_coupon(self, *, target_kind: ObjectKind, target_id: str, code: str,
                     idempotency_key: str) -> SubscriptionRecord | CustomerRecord:
        """Redeem a coupon on an account, or on one of its subscriptions."""
        body = {"coupon_id": f"code-{code}"}
        if target_kind is ObjectKind.SUBSCRIPTION:
            sub = self._client.get_subscription(target_id)
            body.update(subscription_id=sub.id, currency=sub.currency)
            self._client.create_coupon_redemption(sub.account.id, body,
                                                  idempotency_key=idempotency_key)
            return self._subscription(self._client.get_subscription(sub.id))
        if target_kind is ObjectKind.CUSTOMER:
            account = self._client.get_account(target_id)
            self._client.create_coupon_redemption(account.id, body,
                                                  idempotency_key=idempotency_key)
            return mappers.customer(account,
                                    coupon_codes=self._client.active_coupon_codes(account.id))
        raise Unsupported(f"Recurly coupons apply to customers or subscriptions, not {target_kind}")

    def add_tax_id(self, *, customer_id: str, type: str, value: str,
                   idempotency_key: str) -> TaxIdRecord:
        """Set the account's VAT number (Recurly keeps one); returns it as a TaxIdRecord."""
        if not (type == "vat" or type.endswith("_vat")):
            raise Unsupported(f"Recurly stores only VAT numbers, not {type!r}")
        account = self._client.update_account(customer_id, {"vat_number": value},
                                              idempotency_key=idempotency_key)
        if self._config.settings.get("vat_on_billing_info") and account.billing_info:
            self._client.update_billing_info(account.id, {"vat_number": value},
                                             idempotency_key=f"{idempotency_key}:billing_info")
        return self._tax_id(f"{account.id}:account_vat")

    def reconcile(self, *, operation: Operation, target_id: str,
                  idempotency_key: str) -> BillingRecord | None:
        """Look for the effect of an interrupted call.

        CREATE_SUBSCRIPTION, APPLY_COUPON and ADD_TAX_ID leave no marker at Recurly: we answer
        None and the retry, sent with the same Idempotency-Key, is replayed by Recurly instead
        of being applied twice.
        """
        if operation is Operation.REFUND:
            return self._find_refund(target_id, mappers.refund_marker(idempotency_key))
        if operation is Operation.CANCEL_SUBSCRIPTION:
            sub = self._client.get_subscription(target_id)
            return self._subscription(sub) if sub.state in ("canceled", "expired") else None
        if operation is Operation.SEND_INVOICE:
            invoice = self._client.get_invoice(target_id)
            return self._invoice(invoice) if invoice.state == "paid" else None
        if operation in (Operation.CREATE_SUBSCRIPTION, Operation.APPLY_COUPON,
                         Operation.ADD_TAX_ID):
            return None
        raise Unsupported(f"{operation} is not offered for Recurly")

    # --- webhooks -------------------------------------------------------------------------------
    def parse_webhook(self, *, headers, body: bytes, verify: bool = True) -> GatewayEvent:
        """Verify and read the notification, no I/O: Recurly sends ids only, so the event names
        the object to fetch (`refetch`) and hydrate_event() fetches it in the processing job."""
        if verify:
            webhooks.verify_signature(headers, body, tuple(self._config.webhook_secrets))
        return webhooks.to_event(webhooks.parse_notification(body))

    def hydrate_event(self, event: GatewayEvent) -> tuple[BillingRecord, ...]:
        records: list[BillingRecord] = []
        for kind, lookup in event.refetch:
            records += self._referenced_records(kind, lookup)
        return tuple(records)

    # --- helpers --------------------------------------------------------------------------------
    def _records(self, kind: ObjectKind, data: list) -> list[BillingRecord]:
        if kind is ObjectKind.CUSTOMER:
            return [mappers.customer(a) for a in data]
        if kind is ObjectKind.TAX_ID:
            return [t for a in data for t in mappers.tax_ids(a)]
        if kind is ObjectKind.SUBSCRIPTION:
            return [self._subscription(s) for s in data]
        if kind is ObjectKind.INVOICE:
            return [self._invoice(i) for i in data]
        refunds_by_account: dict[str, list] = {}
        return [self._transaction_record(t, refunds_by_account) for t in data]

    def _transaction_record(self, txn, cache: dict | None = None):
        """A refund transaction as RefundRecord, any other as ChargeRecord with refunds summed."""
        if txn.type == "refund":
            return mappers.refund(txn)
        if not getattr(txn, "refunded", False):
            return mappers.charge(txn)
        cache = {} if cache is None else cache
        account_id = txn.account.id
        if account_id not in cache:
            cache[account_id] = self._client.account_transactions(account_id, type_="refund")
        refunded = sum(mappers.minor(r.amount, r.currency) for r in cache[account_id]
                       if r.original_transaction_id == txn.id
                       and r.status in _OPEN_REFUND_STATES)
        return mappers.charge(txn, refunded_minor=refunded)

    def _subscription(self, sub) -> SubscriptionRecord:
        return mappers.subscription(sub, now=self._now())

    def _invoice(self, invoice) -> InvoiceRecord:
        lines = None
        if getattr(invoice, "has_more_line_items", False):
            lines = self._client.invoice_line_items(invoice.id)
        return mappers.invoice(invoice, line_items=lines)

    def _tax_id(self, external_id: str) -> TaxIdRecord:
        account_id, _, _source = external_id.partition(":")
        found = mappers.tax_ids(self._client.get_account(account_id)) if _source else ()
        match = next((t for t in found if t.external_id == external_id), None)
        if match is None:
            raise GatewayNotFound(f"Recurly account {account_id} has no tax id {external_id}")
        return match

    def _find_refund(self, charge_id: str, marker: str) -> BillingRecord | None:
        txn = self._client.get_transaction(charge_id)
        for credit in self._client.account_invoices(txn.account.id, type_="credit"):
            if marker in (getattr(credit, "customer_notes", None) or ""):
                return mappers.refund_from_credit_invoice(credit, charge_id)
        return None

    def _referenced_records(self, kind: ObjectKind, lookup: str) -> tuple[BillingRecord, ...]:
        """The named object as it is now; a transaction may be a charge or a refund."""
        try:
            if kind is ObjectKind.SUBSCRIPTION:
                return (self._subscription(self._client.get_subscription(lookup)),)
            if kind is ObjectKind.INVOICE:
                return (self._invoice(self._client.get_invoice(lookup)),)
            if kind is ObjectKind.CHARGE:
                return (self._transaction_record(self._client.get_transaction(lookup)),)
            account = self._client.get_account(lookup)
            return (mappers.customer(account), *mappers.tax_ids(account))
        except GatewayNotFound:  # gone, or not addressable by uuid: the next sync catches up
            return ()

    def _plan_currency(self, plan) -> str:
        offered = [p.currency for p in plan.currencies or []]
        if len(offered) == 1:
            return offered[0]
        preferred = self._config.settings.get("default_currency")
        if preferred in offered:
            return preferred
        raise GatewayRejected(f"plan {plan.code} is priced in {', '.join(offered)}; set the "
                              "connection's default_currency to choose one", code="currency")

    def _trial_end(self, trial_days: int) -> str:
        """Midnight UTC after `trial_days` full days: identical for same-day retries, so the
        request body (and its Idempotency-Key fingerprint) does not change on a retry."""
        today = self._now().astimezone(timezone.utc).replace(hour=0, minute=0, second=0,
                                                             microsecond=0)
        return (today + timedelta(days=trial_days + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")


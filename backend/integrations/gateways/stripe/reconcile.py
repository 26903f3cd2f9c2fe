"""Find what an interrupted Stripe call left behind: by our key in metadata, or by the target's state.

Used when a worker died mid-call and the outcome is unknown; see StripeAdapter.reconcile for what
each operation returns. A None means "no trace found", and retrying with the same key is safe.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from ..contract import Operation
from ..records import BillingRecord, ChargeStatus
from .client import StripeApi
from .mappers import map_charge, map_invoice, map_refund, map_subscription

KEY_METADATA = "chargedesk_key"  # our idempotency key, stored on what we create
MAX_PAGES = 10  # a charge's refunds or a customer's subscriptions rarely pass one page

Reconciler = Callable[[StripeApi, str, str], BillingRecord | None]


def _carries_key(obj: Mapping[str, Any], key: str) -> bool:
    return (obj.get("metadata") or {}).get(KEY_METADATA) == key


def _listed(api: StripeApi, resource: str, params: dict[str, Any]) -> Iterator[dict]:
    """Every object of a filtered list, page by page (bounded by MAX_PAGES)."""
    cursor = None
    for _ in range(MAX_PAGES):
        page = api.list(resource, {**params, "limit": 100,
                                   **({"starting_after": cursor} if cursor else {})})
        data = page.get("data") or []
        yield from data
        if not page.get("has_more") or not data:
            return
        cursor = data[-1]["id"]


def _keyed(api: StripeApi, resource: str, params: dict[str, Any], key: str) -> dict | None:
    return next((obj for obj in _listed(api, resource, params) if _carries_key(obj, key)), None)


def refund_with_key(api: StripeApi, charge_id: str, key: str) -> BillingRecord | None:
    refund = _keyed(api, "refunds", {"charge": charge_id}, key)
    return map_refund(refund) if refund else None


def captured_charge(api: StripeApi, charge_id: str, key: str) -> BillingRecord | None:
    charge = api.retrieve("charges", charge_id)
    return map_charge(charge) if charge.get("captured") else None


def voided_charge(api: StripeApi, charge_id: str, key: str) -> BillingRecord | None:
    charge = map_charge(api.retrieve("charges", charge_id))
    return charge if charge.status is ChargeStatus.CANCELED else None


def canceled_subscription(api: StripeApi, subscription_id: str, key: str) -> BillingRecord | None:
    subscription = api.retrieve("subscriptions", subscription_id)
    record = map_subscription(subscription)
    return record if subscription.get("status") == "canceled" or record.cancel_at_period_end else None


def subscription_with_key(api: StripeApi, customer_id: str, key: str) -> BillingRecord | None:
    found = _keyed(api, "subscriptions", {"customer": customer_id, "status": "all"}, key)
    return map_subscription(found) if found else None


def invoice_with_key(api: StripeApi, customer_id: str, key: str) -> BillingRecord | None:
    found = _keyed(api, "invoices", {"customer": customer_id}, key)
    return map_invoice(found) if found else None


RECONCILERS: dict[Operation, Reconciler] = {
    Operation.REFUND: refund_with_key,
    Operation.CAPTURE: captured_charge,
    Operation.VOID: voided_charge,
    Operation.CANCEL_SUBSCRIPTION: canceled_subscription,
    Operation.CREATE_SUBSCRIPTION: subscription_with_key,
    Operation.CREATE_INVOICE: invoice_with_key,
}

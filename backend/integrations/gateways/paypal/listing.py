"""Backfill pages over PayPal: Transaction Search window by window (payments, refunds, payers),
then page-numbered subscriptions and invoices. Each payment's order is fetched once per page: the
order is what holds its captures, the authorization they came from, and its refunds."""
from __future__ import annotations

from typing import Callable

from ..errors import GatewayNotFound
from ..records import ChargeRecord, CustomerRecord, Page, RefundRecord
from . import mappers
from .client import PayPalClient
from .paging import Cursor, first_cursor


def transactions(client: PayPalClient, position: Cursor | None, limit: int, history_days: int,
                 codes: frozenset[str], to_records: Callable[[list[dict]], list], then: Cursor | None = None) -> Page:
    """Transaction search (at most 31 days per call), skipping empty windows within one call."""
    position = position or first_cursor(history_days)
    while True:
        start, end = position.window()
        answer = client.transactions(start=start, end=end, page=position.page, page_size=limit)
        details = [d for d in answer.get("transaction_details") or ()
                   if (d.get("transaction_info") or {}).get("transaction_event_code") in codes]
        following = position.next_page() if position.page < int(answer.get("total_pages") or 1) \
            else position.next_window()
        items = to_records(details)
        if items or following is None:
            after = following or then
            return Page(items=tuple(items), next_cursor=after.encode() if after else None)
        position = following


def numbered(position: Cursor | None, limit: int, fetch_page, phase: int = 0) -> Page:
    position = position or Cursor(phase=phase)
    items, total_pages = fetch_page(position.page, limit)
    after = position.next_page() if position.page < total_pages else None
    return Page(items=tuple(items), next_cursor=after.encode() if after else None)


def orders(client: PayPalClient, details: list[dict]) -> dict[str, dict]:
    ids = dict.fromkeys(d["transaction_info"].get("paypal_reference_id") for d in details
                        if d["transaction_info"].get("paypal_reference_id_type") == "ODR")
    found = {}
    for order_id in ids:
        try:
            found[order_id] = client.order(order_id)
        except GatewayNotFound:
            continue
    return found


def charges(client: PayPalClient, details: list[dict]) -> list[ChargeRecord]:
    """The charge each payment transaction is (a capture of an authorization is part of the latter)."""
    by_order, records = orders(client, details), []
    for detail in details:
        info = detail["transaction_info"]
        order = by_order.get(info.get("paypal_reference_id"))
        if order:
            records += [c for c in mappers.charges_of_order(order) if c.external_id == info["transaction_id"]]
    return records


def refunds(client: PayPalClient, details: list[dict]) -> list[RefundRecord]:
    by_order, records = orders(client, details), []
    for detail in details:
        info = detail["transaction_info"]
        order = by_order.get(info.get("paypal_reference_id"))
        if order:
            records += [r for r in mappers.refunds_of_order(order) if r.external_id == info["transaction_id"]]
    return records


def payers(details: list[dict]) -> list[CustomerRecord]:
    return [c for c in (mappers.customer_from_payer(d.get("payer_info") or {}) for d in details) if c]


def subscriptions(client: PayPalClient, page: int, size: int) -> tuple[list, int]:
    answer = client.subscriptions(page=page, page_size=size)
    return ([mappers.subscription_record(s) for s in answer.get("subscriptions") or ()],
            int(answer.get("total_pages") or 1))


def invoices(client: PayPalClient, page: int, size: int) -> tuple[list, int]:
    answer = client.invoices(page=page, page_size=size)
    return [mappers.invoice_record(i) for i in answer.get("items") or ()], int(answer.get("total_pages") or 1)


def invoice_recipients(client: PayPalClient, page: int, size: int) -> tuple[list, int]:
    answer = client.invoices(page=page, page_size=size)
    found = mappers.unique_customers(mappers.customer_from_invoice(i) for i in answer.get("items") or ())
    return list(found), int(answer.get("total_pages") or 1)

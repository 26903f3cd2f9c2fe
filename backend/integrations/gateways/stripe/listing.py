"""Resumable listing of tax ids, which Stripe keeps per customer rather than in one list.

The walk goes through customers in Stripe's list order and through each customer's tax ids.
Cursor: "<customer id>|<last tax id returned from that customer>"; an empty part after "|" means
"from that customer's first tax id". A page gathers tax ids across up to CUSTOMERS_PER_PAGE
customers, so customers without tax ids do not each cost a page; a page can still come back
empty with a cursor when many such customers sit in a row, and the caller just continues.
"""
from __future__ import annotations

from ..errors import GatewayRejected
from ..records import Page
from .client import StripeApi
from .mappers import map_tax_id

CURSOR_SEPARATOR = "|"
CUSTOMERS_PER_PAGE = 25  # bounds the requests one page costs (two per customer)


def tax_id_cursor(customer_id: str, after_tax_id: str | None = None) -> str:
    return f"{customer_id}{CURSOR_SEPARATOR}{after_tax_id or ''}"


def parse_tax_id_cursor(cursor: str) -> tuple[str, str | None]:
    """(customer id, tax id to continue after or None); GatewayRejected if it is not ours."""
    customer_id, separator, after = cursor.partition(CURSOR_SEPARATOR)
    if not separator or not customer_id:
        raise GatewayRejected(f"not a Stripe tax id cursor: {cursor!r}", code="invalid_cursor")
    return customer_id, after or None


def _customer_after(api: StripeApi, customer_id: str | None) -> str | None:
    """The id of the customer listed after `customer_id` (the first one for None)."""
    params = {"limit": 1, **({"starting_after": customer_id} if customer_id else {})}
    data = api.list("customers", params).get("data") or []
    return data[0]["id"] if data else None


def list_tax_id_page(api: StripeApi, *, cursor: str | None, limit: int) -> Page:
    """Up to `limit` tax ids from where `cursor` points; next_cursor None once every customer is done."""
    customer, after = parse_tax_id_cursor(cursor) if cursor else (_customer_after(api, None), None)
    items = []
    for _ in range(CUSTOMERS_PER_PAGE):
        if customer is None:
            break
        params = {"limit": limit - len(items), **({"starting_after": after} if after else {})}
        page = api.list_customer_tax_ids(customer, params)
        data = page.get("data") or []
        items.extend(map_tax_id(tax_id) for tax_id in data)
        if page.get("has_more") and data:
            return Page(items=tuple(items), next_cursor=tax_id_cursor(customer, data[-1]["id"]))
        customer, after = _customer_after(api, customer), None
        if len(items) >= limit:
            break
    return Page(items=tuple(items), next_cursor=tax_id_cursor(customer) if customer else None)

"""Subscription mechanics: billing periods, items, and the first invoice (trial or paid)."""
from __future__ import annotations

import calendar
import datetime as dt

from . import cards, invoice_math, invoicing
from .catalog import tax_rate_ids
from .charges import default_payment_method
from .errors import StripeApiError, invalid
from .forms import get_dict, get_int, get_list, merge_metadata
from .state import Call


def add_interval(start: int, interval: str, count: int = 1) -> int:
    """`start` moved forward by `count` days/weeks/months/years (months clamp to the month's end)."""
    if interval in ("day", "week"):
        return start + count * (86400 if interval == "day" else 7 * 86400)
    moment = dt.datetime.fromtimestamp(start, dt.timezone.utc)
    months = count * (12 if interval == "year" else 1)
    year, month0 = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return int(moment.replace(year=year, month=month0 + 1, day=day).timestamp())


def item_specs(call: Call, items: list, *, currency: str | None = None) -> list[tuple[dict, int, dict]]:
    """Validated (price, quantity, raw item) triples; all prices recurring in one currency and interval."""
    specs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid("Invalid object", param=f"items[{index}]")
        price_id = item.get("price") or item.get("plan")
        if not price_id:
            raise invalid(f"Missing required param: items[{index}][price].", param=f"items[{index}][price]",
                          code="parameter_missing")
        price = call.get("price", price_id, param=f"items[{index}][price]")
        if price.get("recurring") is None:
            raise invalid(f"The price specified ({price_id}) is set to `type=one_time` but this field only accepts "
                          "prices with `type=recurring`.", param=f"items[{index}][price]")
        specs.append((price, get_int(item, "quantity", default=1, minimum=0), item))
    currencies = {price["currency"] for price, _, _ in specs} | ({currency} if currency else set())
    intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p, _, _ in specs}
    if len(currencies) > 1 or len(intervals) > 1:
        raise invalid("All prices on a subscription must have the same `currency` and `recurring.interval`.",
                      param="items")
    return specs


def insert_item(call: Call, subscription: dict, price: dict, quantity: int, raw: dict, start: int, end: int) -> dict:
    item = call.insert({
        "id": call.new_id("si_"), "object": "subscription_item", "created": call.now(),
        "current_period_end": end, "current_period_start": start, "metadata": merge_metadata({}, raw),
        "price": price["id"], "quantity": quantity, "subscription": subscription["id"],
        "tax_rates": tax_rate_ids(call, get_list(raw, "tax_rates"), "items[tax_rates]"),
    })
    return item


def subscription_items(call: Call, subscription_id: str) -> list[dict]:
    return [item for item in call.store.all("subscription_item") if item["subscription"] == subscription_id]


def first_invoice(call: Call, subscription: dict, *, trial: bool) -> dict:
    """The subscription_create invoice: one line per item, subscription discounts applied."""
    customer = call.get("customer", subscription["customer"], param="customer")
    invoice = invoicing.new_invoice(
        call, customer, currency=subscription["currency"], collection_method=subscription["collection_method"],
        days_until_due=subscription.get("days_until_due"), subscription=subscription["id"],
        billing_reason="subscription_create", discounts=list(subscription.get("discounts") or []),
        default_tax_rates=list(subscription.get("default_tax_rates") or []),
        default_payment_method=subscription.get("default_payment_method"))
    for item in subscription_items(call, subscription["id"]):
        price = call.get("price", item["price"])
        product = call.store.get("product", price["product"]) or {}
        name = product.get("name", price["id"])
        amount = 0 if trial else price["unit_amount"] * item["quantity"]
        description = f"Trial period for {name}" if trial else f"{item['quantity']} × {name}"
        invoicing.add_line(call, invoice, amount=amount, quantity=item["quantity"], description=description,
                           price=price, tax_rates=item.get("tax_rates"), subscription_item=item["id"],
                           period={"start": item["current_period_start"], "end": item["current_period_end"]})
    invoice_math.recompute(call, invoice)
    call.update(subscription, {"latest_invoice": invoice["id"]})
    return invoice


def precheck_payment(call: Call, subscription_params: dict, customer: dict, behavior: str) -> None:
    """Stripe refuses `error_if_incomplete` up front when the card would decline or none exists."""
    pm_id = subscription_params.get("default_payment_method")
    pm = call.store.get("payment_method", pm_id) if pm_id else default_payment_method(call, customer)
    if behavior == "default_incomplete":
        return
    if pm is None and subscription_params.get("collection_method", "charge_automatically") == "charge_automatically":
        if not get_dict(subscription_params, "trial_settings") and not get_int(subscription_params, "trial_period_days"):
            raise StripeApiError("This customer has no attached payment source or default payment method. Please "
                                 "consider adding a default payment method.", code="resource_missing")
    decline = cards.decline_for(call, pm["id"]) if pm else None
    if decline is not None and behavior == "error_if_incomplete":
        raise cards.card_error(decline.message, decline.code, decline_code=decline.decline_code)


def collect_first_invoice(call: Call, subscription: dict, invoice: dict, behavior: str) -> None:
    """Finalize and, when charging automatically, pay; the subscription status follows the outcome."""
    invoicing.finalize(call, invoice)
    if invoice["status"] == "paid" or subscription["collection_method"] == "send_invoice":
        return
    if behavior == "default_incomplete":
        call.update(subscription, {"status": "incomplete"})
        return
    try:
        invoicing.pay(call, invoice)
    except StripeApiError as error:
        if error.type != "card_error":
            raise
        call.update(subscription, {"status": "incomplete"})

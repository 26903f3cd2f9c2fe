"""Subscriptions: create (trial, discounts, first invoice), update, cancel at period end or now, list."""
from __future__ import annotations

from dataclasses import dataclass

from . import subscription_billing as billing
from .catalog import tax_rate_ids
from .errors import invalid, not_found
from .forms import get_bool, get_dict, get_enum, get_int, get_list, get_str, merge_metadata
from .lists import list_response
from .payment_methods import customer_pm
from .promotions import check_discounts, discounts_from
from .routing import LIST_PARAMS, route
from .search import search_response
from .state import Call

_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
_STATUSES = ("active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due", "paused",
             "trialing", "unpaid")
_COMMON = ("items", "metadata", "default_payment_method", "description", "discounts", "payment_behavior",
           "proration_behavior", "trial_end", "collection_method", "days_until_due", "default_tax_rates",
           "cancel_at_period_end", "cancel_at", "off_session", "coupon", "promotion_code", "default_source",
           "payment_settings", "automatic_tax", "billing_thresholds", "pending_invoice_item_interval",
           "transfer_data", "application_fee_percent", "on_behalf_of", "invoice_settings", "trial_settings")


def find_subscription(call: Call, subscription_id: str) -> dict:
    found = call.store.get("subscription", subscription_id)
    if found is None:
        raise not_found("subscription", subscription_id)
    return found


def _legacy_discounts(params: dict) -> list:
    items = get_list(params, "discounts")
    if items is not None:
        return items
    if get_str(params, "coupon"):
        return [{"coupon": params["coupon"]}]
    if get_str(params, "promotion_code"):
        return [{"promotion_code": params["promotion_code"]}]
    return []


def _trial_end(call: Call, params: dict) -> int | None:
    days = get_int(params, "trial_period_days", minimum=0)
    if days:
        return call.now() + days * 86400
    end = params.get("trial_end")
    if end == "now" or not end:
        return None
    end = get_int(params, "trial_end")
    if end <= call.now():
        raise invalid("Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end")
    return end


@dataclass
class _Plan:
    """Everything a subscription create asked for, validated before anything is stored."""
    customer: dict
    specs: list
    behavior: str
    collection: str
    days_until_due: int | None
    payment_method: str | None
    tax_rates: list[str]
    trial_end: int | None
    discounts: list


def _plan(call: Call) -> _Plan:
    params = call.params
    customer = call.get("customer", get_str(params, "customer", required=True), param="customer")
    specs = billing.item_specs(call, get_list(params, "items") or [])
    if not specs:
        raise invalid("Missing required param: items.", param="items", code="parameter_missing")
    collection = get_enum(params, "collection_method", ("charge_automatically", "send_invoice"),
                          default="charge_automatically")
    days = get_int(params, "days_until_due", minimum=0)
    if collection == "send_invoice" and days is None:
        raise invalid("Missing required param: days_until_due.", param="days_until_due", code="parameter_missing")
    pm_id = get_str(params, "default_payment_method")
    plan = _Plan(customer, specs, get_enum(params, "payment_behavior", _BEHAVIORS, default="allow_incomplete"),
                 collection, days, customer_pm(call, customer, pm_id, "default_payment_method")["id"] if pm_id else None,
                 tax_rate_ids(call, get_list(params, "default_tax_rates"), "default_tax_rates"),
                 _trial_end(call, params), _legacy_discounts(params))
    billing.precheck_payment(call, {**params, "default_payment_method": plan.payment_method}, customer, plan.behavior)
    check_discounts(call, plan.discounts, customer=customer["id"])
    return plan


def _insert(call: Call, plan: _Plan) -> dict:
    now = call.now()
    subscription = call.insert({
        "id": call.new_id("sub_"), "object": "subscription", "billing_cycle_anchor": plan.trial_end or now,
        "collection_method": plan.collection, "created": now, "currency": plan.specs[0][0]["currency"],
        "customer": plan.customer["id"], "days_until_due": plan.days_until_due,
        "default_payment_method": plan.payment_method, "default_tax_rates": plan.tax_rates,
        "description": get_str(call.params, "description"), "discounts": [],
        "metadata": merge_metadata({}, call.params), "start_date": now,
        "status": "trialing" if plan.trial_end else "active", "trial_end": plan.trial_end,
        "trial_start": now if plan.trial_end else None,
    })
    call.update(subscription, {"discounts": discounts_from(call, plan.discounts, customer=plan.customer["id"],
                                                           subscription=subscription["id"])})
    for price, quantity, raw in plan.specs:
        interval = price["recurring"]
        end = plan.trial_end or billing.add_interval(now, interval["interval"], interval["interval_count"])
        billing.insert_item(call, subscription, price, quantity, raw, now, end)
    return subscription


@route("POST", "/v1/subscriptions", _COMMON + ("customer", "trial_period_days", "currency", "backdate_start_date",
                                               "billing_cycle_anchor", "trial_from_plan", "add_invoice_items",
                                               "billing_mode", "billing_cycle_anchor_config", "billing_schedules",
                                               "customer_account"))
def create_subscription(call: Call) -> dict:
    plan = _plan(call)
    subscription = _insert(call, plan)
    invoice = billing.first_invoice(call, subscription, trial=bool(plan.trial_end))
    billing.collect_first_invoice(call, subscription, invoice, plan.behavior)
    if get_bool(call.params, "cancel_at_period_end"):
        _schedule_cancel(call, subscription, True, None)
    call.emit("customer.subscription.created", subscription)
    return subscription


@route("GET", "/v1/subscriptions/<subscription_id>")
def retrieve_subscription(call: Call, subscription_id: str) -> dict:
    return find_subscription(call, subscription_id)


def _period_end(call: Call, subscription: dict) -> int:
    items = billing.subscription_items(call, subscription["id"])
    return max((item["current_period_end"] for item in items), default=call.now())


def _schedule_cancel(call: Call, subscription: dict, at_period_end: bool, details: dict | None) -> None:
    """cancel_at_period_end on/off (Stripe stamps canceled_at with the request time), plus feedback."""
    changes = {}
    if subscription["status"] != "canceled":
        changes = {"cancel_at_period_end": at_period_end,
                   "cancel_at": _period_end(call, subscription) if at_period_end else None,
                   "canceled_at": call.now() if at_period_end else None}
    if details is not None:
        changes["cancellation_details"] = {**subscription.get("cancellation_details", {"reason": None}),
                                           "comment": details.get("comment"), "feedback": details.get("feedback")}
    call.update(subscription, changes)


def _update_items(call: Call, subscription: dict, items: list) -> None:
    existing = {item["id"]: item for item in billing.subscription_items(call, subscription["id"])}
    new_specs = billing.item_specs(call, [i for i in items if isinstance(i, dict) and not i.get("id")],
                                   currency=subscription["currency"])
    for index, raw in enumerate(items):
        if not isinstance(raw, dict) or not raw.get("id"):
            continue
        item = existing.get(raw["id"])
        if item is None:
            raise invalid(f"Subscription item {raw['id']} is not part of subscription {subscription['id']}.",
                          param=f"items[{index}][id]")
        if get_bool(raw, "deleted"):
            call.store.remove("subscription_item", item["id"])
            continue
        changes = {"quantity": get_int(raw, "quantity", default=item["quantity"], minimum=0),
                   "metadata": merge_metadata(item.get("metadata"), raw)}
        if raw.get("price"):
            changes["price"] = billing.item_specs(call, [raw], currency=subscription["currency"])[0][0]["id"]
        call.update(item, changes)
    any_item = next(iter(existing.values()), None)
    for price, quantity, raw in new_specs:
        start = any_item["current_period_start"] if any_item else call.now()
        end = any_item["current_period_end"] if any_item else billing.add_interval(start, price["recurring"]["interval"])
        billing.insert_item(call, subscription, price, quantity, raw, start, end)


def _plain_changes(call: Call, subscription: dict) -> dict:
    params = call.params
    changes = {"metadata": merge_metadata(subscription.get("metadata"), params)}
    if "description" in params:
        changes["description"] = get_str(params, "description")
    if get_str(params, "default_payment_method"):
        customer = call.get("customer", subscription["customer"])
        changes["default_payment_method"] = customer_pm(call, customer, params["default_payment_method"],
                                                        "default_payment_method")["id"]
    if "default_tax_rates" in params:
        changes["default_tax_rates"] = tax_rate_ids(call, get_list(params, "default_tax_rates"), "default_tax_rates")
    if "discounts" in params or "coupon" in params or "promotion_code" in params:
        changes["discounts"] = discounts_from(call, _legacy_discounts(params), customer=subscription["customer"],
                                              subscription=subscription["id"])
    return changes


def _refuse_if_ended(call: Call, subscription: dict) -> None:
    if subscription["status"] in ("canceled", "incomplete_expired"):
        extra = set(call.params) - {"cancellation_details", "metadata", "expand"}
        if extra:
            raise invalid("A canceled subscription can only update its cancellation_details and metadata.",
                          param=sorted(extra)[0])


@route("POST", "/v1/subscriptions/<subscription_id>", _COMMON + ("cancellation_details", "pause_collection",
                                                                 "billing_cycle_anchor", "trial_from_plan",
                                                                 "add_invoice_items", "billing_schedules",
                                                                 "proration_date"))
def update_subscription(call: Call, subscription_id: str) -> dict:
    subscription = find_subscription(call, subscription_id)
    _refuse_if_ended(call, subscription)
    params, before = call.params, dict(subscription)
    changes = _plain_changes(call, subscription)
    if get_list(params, "items"):
        _update_items(call, subscription, params["items"])
    call.update(subscription, changes)
    if "cancel_at_period_end" in params or get_dict(params, "cancellation_details"):
        at_end = get_bool(params, "cancel_at_period_end", default=subscription["cancel_at_period_end"])
        _schedule_cancel(call, subscription, bool(at_end), get_dict(params, "cancellation_details"))
    if params.get("trial_end") == "now" and subscription["status"] == "trialing":
        call.update(subscription, {"status": "active", "trial_end": call.now()})
    previous = {key: before.get(key) for key in subscription if before.get(key) != subscription[key]}
    call.emit("customer.subscription.updated", subscription, previous)
    return subscription


@route("DELETE", "/v1/subscriptions/<subscription_id>", ("invoice_now", "prorate", "cancellation_details"))
def cancel_subscription(call: Call, subscription_id: str) -> dict:
    subscription = find_subscription(call, subscription_id)
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise not_found("subscription", subscription_id)  # what Stripe answers for an already-canceled one
    get_bool(call.params, "invoice_now")
    get_bool(call.params, "prorate")
    details = get_dict(call.params, "cancellation_details") or {}
    now = call.now()
    call.update(subscription, {
        "status": "canceled", "canceled_at": now, "ended_at": now, "cancel_at_period_end": False, "cancel_at": None,
        "cancellation_details": {"comment": details.get("comment"), "feedback": details.get("feedback"),
                                 "reason": "cancellation_requested"}})
    call.emit("customer.subscription.deleted", subscription)
    return subscription


@route("DELETE", "/v1/subscriptions/<subscription_id>/discount")
def delete_subscription_discount(call: Call, subscription_id: str) -> dict:
    subscription = find_subscription(call, subscription_id)
    if not subscription.get("discounts"):
        raise not_found("discount", subscription_id, param="subscription")
    discount = call.get("discount", subscription["discounts"][0])
    previous = call.update(subscription, {"discounts": []})
    call.emit("customer.subscription.updated", subscription, previous)
    return {**discount, "deleted": True}


@route("GET", "/v1/subscriptions", LIST_PARAMS + ("customer", "price", "status", "collection_method",
                                                  "current_period_end", "current_period_start", "test_clock",
                                                  "automatic_tax", "customer_account", "plan"))
def list_subscriptions(call: Call) -> dict:
    status = get_enum(call.params, "status", _STATUSES)
    price = get_str(call.params, "price")

    def wanted(sub: dict) -> bool:
        if status is None and sub["status"] in ("canceled", "incomplete_expired"):
            return False
        if status not in (None, "all") and sub["status"] != status and not (status == "ended" and sub["ended_at"]):
            return False
        return price is None or any(i["price"] == price for i in billing.subscription_items(call, sub["id"]))
    return list_response(call, "subscription", "/v1/subscriptions",
                         where={"customer": get_str(call.params, "customer")}, predicate=wanted)


@route("GET", "/v1/subscriptions/search", ("query", "limit", "page"))
def search_subscriptions(call: Call) -> dict:
    return search_response(call, "subscription", "/v1/subscriptions/search")


@route("GET", "/v1/subscription_items", LIST_PARAMS + ("subscription",))
def list_subscription_items(call: Call) -> dict:
    subscription = get_str(call.params, "subscription", required=True)
    return list_response(call, "subscription_item", f"/v1/subscription_items?subscription={subscription}",
                         where={"subscription": subscription})


@route("GET", "/v1/subscription_items/<item_id>")
def retrieve_subscription_item(call: Call, item_id: str) -> dict:
    return call.get("subscription_item", item_id)

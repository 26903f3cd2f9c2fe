"""The merchant API routes (paths under /merchants/{merchant_id}) and their XML responses."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import billing, search, transactions, xmlcodec
from .store import ApiError, Declined, Store

SEARCH_PAGE_SIZE = 50
DISPUTE_PAGE_SIZE = 10
Reply = tuple[int, str]


@dataclass
class Call:
    """One API request: parsed body and query, plus the webhooks it should trigger."""

    store: Store
    body: dict[str, Any]
    query: dict[str, str]
    events: list[tuple[str, str, dict]] = field(default_factory=list)

    def params(self, root: str) -> dict[str, Any]:
        value = self.body.get(root)
        return value if isinstance(value, dict) else {}


class NotFound(Exception):
    """404: the SDK turns it into NotFoundError."""


def _require(store: Store, kind: str, object_id: str) -> dict[str, Any]:
    obj = store.get(kind, object_id)
    if obj is None:
        raise NotFound(f"{kind} {object_id}")
    return obj


def ok(root: str, obj: Any) -> Reply:
    return 200, xmlcodec.document(root, obj)


def error_reply(err: ApiError) -> Reply:
    entry = {"code": err.code, "attribute": err.attribute, "message": err.message}
    errors = {"errors": [], err.scope: {"errors": [entry]}}
    return 422, xmlcodec.document("api_error_response", {"errors": errors, "message": err.message})


def declined_reply(exc: Declined) -> Reply:
    body = {"errors": {"errors": []}, "message": exc.transaction["processor_response_text"],
            "transaction": exc.transaction}
    return 422, xmlcodec.document("api_error_response", body)


# --- transactions ------------------------------------------------------------------------------
def create_transaction(call: Call) -> Reply:
    return ok("transaction", transactions.create(call.store, call.params("transaction")))


def find_transaction(call: Call, tx_id: str) -> Reply:
    return ok("transaction", _require(call.store, "transaction", tx_id))


def submit_transaction(call: Call, tx_id: str) -> Reply:
    tx = _require(call.store, "transaction", tx_id)
    return ok("transaction", transactions.submit_for_settlement(
        call.store, tx, call.params("transaction")))


def void_transaction(call: Call, tx_id: str) -> Reply:
    return ok("transaction", transactions.void(call.store, _require(call.store, "transaction", tx_id)))


def refund_transaction(call: Call, tx_id: str) -> Reply:
    tx = _require(call.store, "transaction", tx_id)
    return ok("transaction", transactions.refund(call.store, tx, call.params("transaction")))


def settlement_outcome(outcome: str, webhook_kind: str | None) -> Callable[[Call, str], Reply]:
    def handler(call: Call, tx_id: str) -> Reply:
        tx = transactions.settle(call.store, _require(call.store, "transaction", tx_id), outcome)
        if webhook_kind:
            call.events.append((webhook_kind, "transaction", tx))
        return ok("transaction", tx)
    return handler


# --- searches ----------------------------------------------------------------------------------
def search_ids(kind: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        hits = search.matching(kind, list(call.store.objects[kind].values()), call.params("search"))
        return ok("search_results", {"page_size": SEARCH_PAGE_SIZE, "ids": [h["id"] for h in hits]})
    return handler


def search_objects(kind: str, root: str) -> Callable[[Call], Reply]:
    def handler(call: Call) -> Reply:
        criteria = call.params("search")
        hits = {h["id"]: h for h in search.matching(
            kind, list(call.store.objects[kind].values()), criteria)}
        wanted = [hits[i] for i in (criteria.get("ids") or list(hits)) if i in hits]
        return 200, xmlcodec.collection(root, kind, wanted, current_page_number=1,
                                        page_size=SEARCH_PAGE_SIZE, total_items=len(wanted))
    return handler


def search_disputes(call: Call) -> Reply:
    """Disputes page with ?page=N, oldest received first."""
    hits = search.matching("dispute", list(call.store.objects["dispute"].values()),
                           call.params("search"))[::-1]
    page = max(int(call.query.get("page", "1") or 1), 1)
    chunk = hits[(page - 1) * DISPUTE_PAGE_SIZE: page * DISPUTE_PAGE_SIZE]
    return 200, xmlcodec.collection("disputes", "dispute", chunk, current_page_number=page,
                                    page_size=DISPUTE_PAGE_SIZE, total_items=len(hits))


# --- vault, plans, subscriptions, disputes -----------------------------------------------------
def create_customer(call: Call) -> Reply:
    return ok("customer", billing.create_customer(call.store, call.params("customer")))


def find_customer(call: Call, customer_id: str) -> Reply:
    return ok("customer", _require(call.store, "customer", customer_id))


def find_payment_method(call: Call, token: str) -> Reply:
    return ok("credit_card", _require(call.store, "payment_method", token))


def list_plans(call: Call) -> Reply:
    return ok("plans", list(call.store.objects["plan"].values()))


def list_discounts(call: Call) -> Reply:
    return ok("discounts", list(call.store.objects["discount"].values()))


def create_subscription(call: Call) -> Reply:
    sub = billing.create_subscription(call.store, call.params("subscription"))
    call.events.append(("subscription_went_active", "subscription", sub))
    return ok("subscription", sub)


def find_subscription(call: Call, sub_id: str) -> Reply:
    return ok("subscription", _require(call.store, "subscription", sub_id))


def update_subscription(call: Call, sub_id: str) -> Reply:
    sub = _require(call.store, "subscription", sub_id)
    return ok("subscription", billing.update_subscription(
        call.store, sub, call.params("subscription")))


def cancel_subscription(call: Call, sub_id: str) -> Reply:
    sub = billing.cancel_subscription(call.store, _require(call.store, "subscription", sub_id))
    call.events.append(("subscription_canceled", "subscription", sub))
    return ok("subscription", sub)


def find_dispute(call: Call, dispute_id: str) -> Reply:
    return ok("dispute", _require(call.store, "dispute", dispute_id))


_ID = r"([A-Za-z0-9_\-]+)"
ROUTES: list[tuple[str, re.Pattern, Callable[..., Reply]]] = [
    (method, re.compile(f"^{pattern}$"), handler) for method, pattern, handler in [
        ("POST", "/transactions", create_transaction),
        ("POST", "/transactions/advanced_search_ids", search_ids("transaction")),
        ("POST", "/transactions/advanced_search",
         search_objects("transaction", "credit_card_transactions")),
        ("GET", f"/transactions/{_ID}", find_transaction),
        ("PUT", f"/transactions/{_ID}/submit_for_settlement", submit_transaction),
        ("PUT", f"/transactions/{_ID}/void", void_transaction),
        ("POST", f"/transactions/{_ID}/refund", refund_transaction),
        ("PUT", f"/transactions/{_ID}/settle", settlement_outcome("settled", "transaction_settled")),
        ("PUT", f"/transactions/{_ID}/settlement_decline",
         settlement_outcome("settlement_declined", "transaction_settlement_declined")),
        ("PUT", f"/transactions/{_ID}/settlement_pending",
         settlement_outcome("settlement_pending", None)),
        ("POST", "/customers", create_customer),
        ("POST", "/customers/advanced_search_ids", search_ids("customer")),
        ("POST", "/customers/advanced_search", search_objects("customer", "customers")),
        ("GET", f"/customers/{_ID}", find_customer),
        ("GET", f"/payment_methods/any/{_ID}", find_payment_method),
        ("GET", "/plans/?", list_plans),
        ("GET", "/discounts/?", list_discounts),
        ("POST", "/subscriptions", create_subscription),
        ("POST", "/subscriptions/advanced_search_ids", search_ids("subscription")),
        ("POST", "/subscriptions/advanced_search", search_objects("subscription", "subscriptions")),
        ("GET", f"/subscriptions/{_ID}", find_subscription),
        ("PUT", f"/subscriptions/{_ID}", update_subscription),
        ("PUT", f"/subscriptions/{_ID}/cancel", cancel_subscription),
        ("POST", "/disputes/advanced_search", search_disputes),
        ("GET", f"/disputes/{_ID}", find_dispute),
    ]
]


def dispatch(method: str, path: str, call: Call) -> Reply:
    """Run the matching route; ApiError/Declined become 422 bodies, unknown objects 404."""
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            try:
                return handler(call, *match.groups())
            except ApiError as err:
                return error_reply(err)
            except Declined as exc:
                return declined_reply(exc)
            except NotFound:
                return 404, ""
    return 404, ""

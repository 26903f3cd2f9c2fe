"""Transactions: sale (auth only or submit), submit_for_settlement, void, refund, testing settle.

Rules follow Braintree's documented behaviour: capture once and never above the authorization,
void only before settlement, refund only once settled/settling and never above what is left,
a refund is a new `credit` transaction pointing back with refunded_transaction_id.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .store import (
    DEFAULT_MERCHANT_ACCOUNT, MERCHANT_ACCOUNTS, ApiError, Declined, Store, quantize,
)

TEST_CARDS = {  # number -> (card type, decline code or None)
    "4111111111111111": ("Visa", None),
    "5555555555554444": ("MasterCard", None),
    "378282246310005": ("American Express", None),
    "6011111111111117": ("Discover", None),
    "4000111111111115": ("Visa", "2000"),
    "5105105105105100": ("MasterCard", "2001"),
}
TEST_NONCES = {"fake-valid-nonce": "4111111111111111", "fake-valid-visa-nonce": "4111111111111111",
               "fake-valid-mastercard-nonce": "5555555555554444",
               "fake-processor-declined-visa-nonce": "4000111111111115"}
RESPONSE_TEXTS = {"1000": "Approved", "2000": "Do Not Honor", "2001": "Insufficient Funds",
                  "2002": "Limit Exceeded", "2003": "Cardholder's Activity Limit Exceeded"}
REFUNDABLE = ("settled", "settling")
VOIDABLE = ("authorized", "submitted_for_settlement", "settlement_pending")
_NOT_MONEY = ("voided", "failed", "processor_declined", "gateway_rejected", "settlement_declined")


def card_from_number(number: str, *, token: str | None = None, expiration: str = "12/2030",
                     customer_id: str | None = None) -> dict[str, Any]:
    """A stored/used card as the API shows it (never the full number)."""
    if number not in TEST_CARDS:
        raise ApiError("81717", "Credit card number is not an accepted test number.",
                       scope="credit_card", attribute="number")
    month, _, year = expiration.partition("/")
    return {"token": token, "bin": number[:6], "last_4": number[-4:],
            "card_type": TEST_CARDS[number][0], "expiration_month": month,
            "expiration_year": year, "expired": False, "customer_id": customer_id,
            "_number": number}


def _history(tx: dict[str, Any], store: Store) -> None:
    tx["updated_at"] = store.now()
    tx["status_history"].append({"status": tx["status"], "timestamp": tx["updated_at"],
                                 "amount": tx["amount"], "transaction_source": "api",
                                 "user": "chargedesk_sandbox"})


def _payment_card(store: Store, params: dict[str, Any]) -> tuple[dict[str, Any], dict | None]:
    """The card a sale uses, and the vaulted customer it belongs to (if any)."""
    token = params.get("payment_method_token")
    if token:
        card = store.get("payment_method", token)
        if card is None:
            raise ApiError("91518", "Payment method token is invalid.",
                           attribute="payment_method_token")
        return card, store.get("customer", card["customer_id"])
    nonce = params.get("payment_method_nonce")
    if nonce:
        if nonce not in TEST_NONCES:
            raise ApiError("91565", "Unknown or expired payment_method_nonce.",
                           attribute="payment_method_nonce")
        return card_from_number(TEST_NONCES[nonce]), None
    card = params.get("credit_card") or {}
    if not card.get("number"):
        raise ApiError("91508", "Cannot determine payment method.")
    return card_from_number(str(card["number"]),
                            expiration=str(card.get("expiration_date") or "12/2030")), None


def _customer_summary(customer: dict | None, params: dict[str, Any]) -> dict[str, Any]:
    source = customer or params.get("customer") or {}
    return {"id": (customer or {}).get("id"), "first_name": source.get("first_name"),
            "last_name": source.get("last_name"), "email": source.get("email")}


def _decline_code(card: dict[str, Any], amount: Decimal, currency: str) -> str | None:
    """Card-based declines, plus Braintree's amount-based ones (2000.00-3000.99, cent currencies)."""
    code = TEST_CARDS.get(card.get("_number", ""), (None, None))[1]
    if code:
        return code
    if currency not in ("JPY", "KWD") and Decimal("2000") <= amount < Decimal("3001"):
        return str(int(amount))
    return None


def create(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    """POST /transactions: a sale (auth, or auth + submit) or a standalone credit."""
    kind = params.get("type", "sale")
    account = params.get("merchant_account_id") or DEFAULT_MERCHANT_ACCOUNT
    if account not in MERCHANT_ACCOUNTS:
        raise ApiError("91513", "Merchant account ID is invalid.", attribute="merchant_account_id")
    if params.get("amount") in (None, ""):
        raise ApiError("81502", "Amount is required.", attribute="amount")
    currency = MERCHANT_ACCOUNTS[account]
    amount = quantize(params["amount"], currency)
    card, customer = _payment_card(store, params)
    tx = _new_transaction(store, kind, amount, currency, account, params, card, customer)
    decline = _decline_code(card, amount, currency) if kind == "sale" else None
    if decline:
        return _decline(store, tx, decline)
    submit = kind == "credit" or bool((params.get("options") or {}).get("submit_for_settlement"))
    tx["status"] = "submitted_for_settlement" if submit else "authorized"
    _history(tx, store)
    return store.put("transaction", tx)


def _new_transaction(store: Store, kind: str, amount: Decimal, currency: str, account: str,
                     params: dict[str, Any], card: dict, customer: dict | None) -> dict[str, Any]:
    now = store.now()
    public_card = {k: v for k, v in card.items() if not k.startswith("_")}
    return {"id": store.new_id(), "type": kind, "status": "authorizing", "amount": amount,
            "currency_iso_code": currency, "merchant_account_id": account,
            "order_id": params.get("order_id"), "created_at": now, "updated_at": now,
            "customer": _customer_summary(customer, params), "credit_card": public_card,
            "payment_instrument_type": "credit_card", "refund_ids": [],
            "refunded_transaction_id": None, "processor_response_code": "1000",
            "processor_response_text": "Approved", "processor_response_type": "approved",
            "gateway_rejection_reason": None, "subscription_id": params.get("subscription_id"),
            "plan_id": None, "status_history": [], "disputes": [], "discounts": [],
            "add_ons": [], "_authorized_amount": amount}


def _decline(store: Store, tx: dict[str, Any], code: str) -> dict[str, Any]:
    tx.update(status="processor_declined", processor_response_code=code,
              processor_response_text=RESPONSE_TEXTS.get(code, "Processor Declined"),
              processor_response_type="soft_declined")
    _history(tx, store)
    store.put("transaction", tx)
    raise Declined(tx)


def find(store: Store, transaction_id: str) -> dict[str, Any] | None:
    return store.get("transaction", transaction_id)


def submit_for_settlement(store: Store, tx: dict[str, Any], params: dict[str, Any]) -> dict:
    """Capture once, any amount up to the authorization (the amount becomes the captured one)."""
    if tx["type"] != "sale" or tx["status"] != "authorized":
        raise ApiError("91507", "Cannot submit for settlement unless status is authorized.")
    if params.get("amount") not in (None, ""):
        amount = quantize(params["amount"], tx["currency_iso_code"])
        if amount > tx["_authorized_amount"]:
            raise ApiError("91522", "Settlement amount is too large.", attribute="amount")
        tx["amount"] = amount
    if params.get("order_id"):
        tx["order_id"] = params["order_id"]
    tx["status"] = "submitted_for_settlement"
    _history(tx, store)
    return tx


def void(store: Store, tx: dict[str, Any]) -> dict[str, Any]:
    if tx["status"] not in VOIDABLE:
        raise ApiError("91504", "Transaction can only be voided if status is authorized, "
                       "submitted_for_settlement, or - for PayPal - settlement_pending.")
    tx["status"] = "voided"
    _history(tx, store)
    return tx


def refunded_so_far(store: Store, tx: dict[str, Any]) -> Decimal:
    credits = (store.get("transaction", rid) for rid in tx["refund_ids"])
    return sum((c["amount"] for c in credits if c and c["status"] not in _NOT_MONEY), Decimal(0))


def refund(store: Store, tx: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A credit transaction for `amount` (default: all that is left)."""
    if tx["type"] == "credit":
        raise ApiError("91505", "Cannot refund credit")
    if tx["status"] not in REFUNDABLE:
        raise ApiError("91506", "Cannot refund transaction unless it is settled.")
    left = tx["amount"] - refunded_so_far(store, tx)
    if left <= 0:
        raise ApiError("91512", "Transaction has already been completely refunded.")
    amount = left
    if params.get("amount") not in (None, ""):
        amount = quantize(params["amount"], tx["currency_iso_code"])
    if amount > left:
        raise ApiError("91521", "Refund amount is too large.", attribute="amount")
    credit = _credit_for(store, tx, amount, params.get("order_id"))
    tx["refund_ids"].append(credit["id"])
    tx["updated_at"] = store.now()
    return store.put("transaction", credit)


def _credit_for(store: Store, tx: dict[str, Any], amount: Decimal, order_id: str | None) -> dict:
    now = store.now()
    credit = {**tx, "id": store.new_id(), "type": "credit", "amount": amount,
              "order_id": order_id, "created_at": now, "updated_at": now, "refund_ids": [],
              "refunded_transaction_id": tx["id"], "status": "submitted_for_settlement",
              "status_history": [], "disputes": [], "subscription_id": None,
              "_authorized_amount": amount}
    _history(credit, store)
    return credit


def settle(store: Store, tx: dict[str, Any], outcome: str = "settled") -> dict[str, Any]:
    """Testing endpoints: move a submitted transaction to settled / settlement_declined / pending."""
    if tx["status"] not in ("submitted_for_settlement", "settlement_pending"):
        raise ApiError("91575", "Cannot simulate transaction settlement.")
    tx["status"] = outcome
    _history(tx, store)
    return tx

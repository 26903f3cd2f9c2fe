"""The money movements shared by PaymentIntents, legacy charges, invoices: authorize, capture, refund."""
from __future__ import annotations

from backend.money import to_decimal_string

from . import cards
from .errors import StripeApiError
from .state import Call
from .templates import OUTCOME_APPROVED
from .views import render

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}
_MINIMUMS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}


def money_text(amount: int, currency: str) -> str:
    """`$50.00`, `€12.50`, `1000 JPY`-style text for Stripe's error messages."""
    text = to_decimal_string(amount, currency)
    symbol = _SYMBOLS.get(currency.lower())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def check_amount(amount: int, currency: str) -> None:
    """Stripe's minimum (e.g. $0.50) and maximum charge amounts."""
    minimum = _MINIMUMS.get(currency.lower(), 1)
    if amount < minimum:
        raise StripeApiError(f"Amount must be at least {money_text(minimum, currency)} {currency.lower()}",
                             code="amount_too_small", param="amount")
    if amount > 99999999:
        raise StripeApiError("Amount must be no more than $999,999.99", code="amount_too_large", param="amount")


def _declined_outcome(decline: cards.Decline) -> dict:
    return {**OUTCOME_APPROVED, "advice_code": "try_again_later" if decline.decline_code == "insufficient_funds"
            else "do_not_try_again", "network_status": "declined_by_network", "reason": decline.decline_code,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"}


def attempt_charge(call: Call, *, amount: int, currency: str, pm: dict, capture: bool,
                   customer: str | None = None, payment_intent: str | None = None,
                   description: str | None = None, metadata: dict | None = None,
                   receipt_email: str | None = None) -> tuple[dict, cards.Decline | None]:
    """Authorize (and maybe capture) on card `pm`; the charge is stored either way."""
    decline = cards.decline_for(call, pm["id"])
    ok = decline is None
    charge = call.insert({
        "id": call.new_id("ch_"), "object": "charge", "amount": amount,
        "amount_captured": amount if ok and capture else 0, "amount_refunded": 0,
        "billing_details": pm.get("billing_details"), "captured": ok and capture, "created": call.now(),
        "currency": currency, "customer": customer, "description": description,
        "failure_code": None if ok else decline.code, "failure_message": None if ok else decline.message,
        "metadata": metadata or {}, "outcome": OUTCOME_APPROVED if ok else _declined_outcome(decline),
        "paid": ok, "payment_intent": payment_intent, "payment_method": pm["id"],
        "payment_method_details": cards.charge_details(pm, amount), "receipt_email": receipt_email,
        "status": "succeeded" if ok else "failed",
    })
    call.emit("charge.succeeded" if ok else "charge.failed", charge)
    return charge, decline


def decline_error(call: Call, decline: cards.Decline, charge: dict, pm: dict,
                  payment_intent: dict | None = None) -> StripeApiError:
    """The 402 card_error Stripe answers a declined payment with."""
    return cards.card_error(
        decline.message, decline.code, decline_code=decline.decline_code, charge=charge["id"],
        advice_code=charge["outcome"]["advice_code"], payment_method=render(call.store, pm),
        payment_intent=render(call.store, payment_intent) if payment_intent else None)


def last_payment_error(call: Call, decline: cards.Decline, charge: dict, pm: dict) -> dict:
    body = decline_error(call, decline, charge, pm).body()["error"]
    return {key: body.get(key) for key in ("advice_code", "charge", "code", "decline_code", "doc_url",
                                           "message", "payment_method", "type")}


def insert_refund(call: Call, charge: dict, amount: int, *, reason: str | None = None,
                  metadata: dict | None = None, release: bool = False) -> tuple[dict, dict]:
    """Store a refund and move the charge's `amount_refunded`/`refunded` (no validation here)."""
    refund = call.insert({
        "id": call.new_id("re_"), "object": "refund", "amount": amount, "charge": charge["id"],
        "created": call.now(), "currency": charge["currency"], "metadata": metadata or {},
        "payment_intent": charge.get("payment_intent"), "reason": reason,
        "destination_details": {"card": {"type": "reversal" if release else "refund"}, "type": "card"},
    })
    refunded = charge["amount_refunded"] + amount
    previous = call.update(charge, {"amount_refunded": refunded, "refunded": refunded >= charge["amount"]})
    return refund, previous


def capture_charge_amount(call: Call, charge: dict, amount: int) -> None:
    """Capture `amount` of an authorized charge; the uncaptured rest is released as a refund."""
    call.update(charge, {"captured": True, "amount_captured": amount})
    if amount < charge["amount"]:
        insert_refund(call, charge, charge["amount"] - amount, release=True)
    call.emit("charge.captured", charge, {"captured": False, "amount_captured": 0})

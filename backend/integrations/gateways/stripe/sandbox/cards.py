"""Stripe's test cards: numbers, magic `pm_card_*`/`tok_*` ids, brands, declines, and card PMs."""
from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from .errors import StripeApiError
from .state import Call
from .templates import BILLING_DETAILS


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str
    message: str
    on_attach: bool = True  # Stripe's $0 verification at attach time fails too


_GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
DECLINES: dict[str, Decline] = {
    "4000000000000002": _GENERIC,
    "4000000000009995": Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.",
                                on_attach=False),
    "4000000000009987": Decline("card_declined", "lost_card", "Your card was declined."),
    "4000000000009979": Decline("card_declined", "stolen_card", "Your card was declined."),
    "4100000000000019": Decline("card_declined", "fraudulent", "Your card was declined."),
    "4000000000000069": Decline("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": Decline("processing_error", "processing_error",
                                "An error occurred while processing your card. Try again in a little bit."),
    "4000000000000341": Decline("card_declined", "generic_decline", "Your card was declined.", on_attach=False),
}

_MAGIC_NUMBERS = {
    "visa": "4242424242424242", "visa_debit": "4000056655665556", "mastercard": "5555555555554444",
    "mastercard_debit": "5200828282828210", "amex": "378282246310005", "discover": "6011111111111117",
    "diners": "3056930009020004", "jcb": "3566002020360505", "unionpay": "6200000000000005",
    "chargeDeclined": "4000000000000002", "visa_chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987", "visa_chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979", "visa_chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedFraudulent": "4100000000000019", "visa_chargeDeclinedFraudulent": "4100000000000019",
    "chargeDeclinedExpiredCard": "4000000000000069", "visa_chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127", "visa_chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "visa_chargeDeclinedProcessingError": "4000000000000119",
    "chargeCustomerFail": "4000000000000341",
}


def magic_number(object_id: str) -> str | None:
    """The card number behind `pm_card_visa`, `tok_chargeDeclined` ..., else None."""
    for prefix in ("pm_card_", "tok_"):
        if object_id.startswith(prefix):
            return _MAGIC_NUMBERS.get(object_id[len(prefix):])
    return None


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if number[:2] in ("51", "52", "53", "54", "55") or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65", "644", "645", "646", "647", "648", "649")):
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number[:2] in ("30", "36", "38", "39"):
        return "diners"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def card_error(message: str, code: str, *, param: str | None = None, **extra) -> StripeApiError:
    return StripeApiError(message, type="card_error", code=code, param=param, **extra)


def validate_card(number: str, exp_month: int, exp_year: int, this_year: int) -> None:
    """Stripe's card checks: number shape and Luhn, expiry month and year."""
    if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        raise card_error("Your card number is incorrect.", "incorrect_number", param="number")
    if not 1 <= exp_month <= 12:
        raise card_error("Your card's expiration month is invalid.", "invalid_expiry_month",
                         param="exp_month")
    if exp_year < this_year or exp_year > this_year + 50:
        raise card_error("Your card's expiration year is invalid.", "invalid_expiry_year",
                         param="exp_year")


def card_details(number: str, exp_month: int, exp_year: int) -> dict:
    brand = brand_of(number)
    fingerprint = hashlib.sha256(number.encode()).hexdigest()[:16]
    return {
        "brand": brand, "checks": {"address_line1_check": None, "address_postal_code_check": None,
                                   "cvc_check": "pass"},
        "country": "US", "display_brand": brand, "exp_month": exp_month, "exp_year": exp_year,
        "fingerprint": fingerprint, "funding": "debit" if number in ("4000056655665556", "5200828282828210") else "credit",
        "generated_from": None, "last4": number[-4:],
        "networks": {"available": [brand], "preferred": None},
        "three_d_secure_usage": {"supported": True}, "wallet": None, "regulated_status": "unregulated",
    }


def create_card_pm(call: Call, number: str, *, exp_month: int = 12, exp_year: int | None = None,
                   billing_details: dict | None = None, metadata: dict | None = None) -> dict:
    """Store a new card PaymentMethod (the number is kept aside, never returned)."""
    exp_year = exp_year or (year_of(call.now()) + 3)
    pm = call.insert({
        "id": call.new_id("pm_"), "object": "payment_method", "created": call.now(),
        "billing_details": {**BILLING_DETAILS, **(billing_details or {})},
        "card": card_details(number, exp_month, exp_year), "customer": None,
        "metadata": metadata or {}, "type": "card",
    })
    call.state.cards[pm["id"]] = number
    return pm


def decline_for(call: Call, pm_id: str) -> Decline | None:
    return DECLINES.get(call.state.cards.get(pm_id, ""))


def charge_details(pm: dict, amount: int) -> dict:
    """`payment_method_details` of a charge paid with card PaymentMethod `pm`."""
    card = pm["card"]
    return {"card": {
        "amount_authorized": amount, "authorization_code": "123456", "brand": card["brand"],
        "checks": card["checks"], "country": card["country"], "exp_month": card["exp_month"],
        "exp_year": card["exp_year"], "extended_authorization": {"status": "disabled"},
        "fingerprint": card["fingerprint"], "funding": card["funding"],
        "incremental_authorization": {"status": "unavailable"}, "installments": None,
        "last4": card["last4"], "mandate": None, "multicapture": {"status": "unavailable"},
        "network": card["brand"], "network_token": {"used": False},
        "network_transaction_id": "1041029786787710", "overcapture": {
            "maximum_amount_capturable": amount, "status": "unavailable"},
        "regulated_status": "unregulated", "three_d_secure": None, "wallet": None,
    }, "type": "card"}


def year_of(unix: int) -> int:
    return datetime.datetime.fromtimestamp(unix, datetime.timezone.utc).year

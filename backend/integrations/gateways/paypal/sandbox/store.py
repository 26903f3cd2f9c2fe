"""The PayPal sandbox's state and rules (amounts kept as Decimal strings, never floats)."""
from __future__ import annotations

import bisect
import itertools
import secrets
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from backend.money import exponent


class PayPalError(Exception):
    """A PayPal error answer: {name, message, debug_id, details: [{issue, description}]}."""

    def __init__(self, status: int, name: str, message: str, issue: str | None = None,
                 description: str | None = None):
        super().__init__(message)
        self.status, self.name, self.message = status, name, message
        self.details = [{"issue": issue, "description": description or message}] if issue else []

    def body(self) -> dict:
        return {"name": self.name, "message": self.message, "debug_id": secrets.token_hex(6),
                "details": self.details}


def unprocessable(issue: str, description: str) -> PayPalError:
    return PayPalError(422, "UNPROCESSABLE_ENTITY",
                       "The requested action could not be performed, semantically incorrect, or failed "
                       "business validation.", issue, description)


def not_found(what: str) -> PayPalError:
    return PayPalError(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
                       "INVALID_RESOURCE_ID", f"Specified resource ID ({what}) does not exist.")


def invalid(issue: str, description: str) -> PayPalError:
    return PayPalError(400, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or "
                       "violates schema.", issue, description)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def money(obj, field: str = "amount") -> tuple[Decimal, str]:
    """A PayPal Money object {currency_code, value} checked: a decimal string within the exponent."""
    if not isinstance(obj, dict) or not isinstance(obj.get("value"), str) \
            or not isinstance(obj.get("currency_code"), str) or len(obj["currency_code"]) != 3:
        raise invalid("MISSING_REQUIRED_PARAMETER", f"{field} needs currency_code and a string value")
    currency = obj["currency_code"].upper()
    try:
        value = Decimal(obj["value"])
    except InvalidOperation:
        raise invalid("INVALID_PARAMETER_SYNTAX", f"{field}.value is not a decimal") from None
    if not value.is_finite() or value <= 0:
        raise invalid("INVALID_PARAMETER_VALUE", f"{field}.value must be positive")
    if value.as_tuple().exponent < -exponent(currency):
        raise unprocessable("DECIMAL_PRECISION", f"{currency} allows {exponent(currency)} decimals")
    return value, currency


def text(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-exponent(currency))))


class Store:
    """Everything the emulator holds; guarded by `lock` (the Flask app is threaded)."""

    def __init__(self, client_id: str, client_secret: str):
        self.client_id, self.client_secret = client_id, client_secret
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.ids = itertools.count(1)
        self.tokens: set[str] = set()
        self.orders: dict[str, dict] = {}
        self.captures: dict[str, dict] = {}
        self.authorizations: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.plans: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.transactions: list[dict] = []
        self.replays: dict[tuple[str, str], tuple[str, int, dict | None]] = {}
        self.requests: list[dict] = []
        self.failures: list[dict] = []
        self.emails: list[dict] = []
        self.webhooks: list[dict] = []
        self.outbox: list[tuple[str, str, dict]] = []  # (event_type, resource_type, resource)
        self.deliveries: list[dict] = []
        self.clock_offset = timedelta(0)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids):06d}{secrets.token_hex(4).upper()}"

    def now(self) -> datetime:
        return now() + self.clock_offset

    # --- orders and payments --------------------------------------------------------------------
    def create_order(self, intent: str, amount: dict, *, payer_email: str | None = None,
                     invoice_id: str | None = None, when: datetime | None = None,
                     payer_name: tuple[str, str] = ("Pat", "Payer")) -> dict:
        if intent not in ("CAPTURE", "AUTHORIZE"):
            raise invalid("INVALID_PARAMETER_VALUE", "intent must be CAPTURE or AUTHORIZE")
        value, currency = money(amount, "purchase_units[0].amount")
        order = {"id": self.new_id("O"), "intent": intent, "status": "CREATED", "currency": currency,
                 "value": value, "payer": None, "invoice_id": invoice_id, "captures": [], "authorizations": [],
                 "create_time": when or self.now()}
        self.orders[order["id"]] = order
        if payer_email:
            self.approve(order["id"], payer_email, payer_name)
        return order

    def approve(self, order_id: str, email: str, name: tuple[str, str] = ("Pat", "Payer")) -> dict:
        """What the buyer does on paypal.com (no API): the order becomes APPROVED with a payer."""
        order = self.order(order_id)
        if order["status"] != "CREATED":
            raise unprocessable("ORDER_NOT_APPROVED" if order["status"] == "VOIDED" else "ORDER_ALREADY_APPROVED",
                                f"order is {order['status']}")
        order["payer"] = {"email_address": email.lower(), "payer_id": "P" + secrets.token_hex(6).upper(),
                          "name": {"given_name": name[0], "surname": name[1]}}
        order["status"] = "APPROVED"
        return order

    def order(self, order_id: str) -> dict:
        if order_id not in self.orders:
            raise not_found(order_id)
        return self.orders[order_id]

    def capture_order(self, order_id: str, when: datetime | None = None) -> dict:
        order = self.order(order_id)
        if order["intent"] != "CAPTURE":
            raise unprocessable("ACTION_DOES_NOT_MATCH_INTENT", "this order's intent is AUTHORIZE")
        self._require_approved(order)
        self._capture(order, order["value"], authorization=None, when=when)
        order["status"] = "COMPLETED"
        return order

    def authorize_order(self, order_id: str, when: datetime | None = None) -> dict:
        order = self.order(order_id)
        if order["intent"] != "AUTHORIZE":
            raise unprocessable("ACTION_DOES_NOT_MATCH_INTENT", "this order's intent is CAPTURE")
        self._require_approved(order)
        moment = when or self.now()
        auth = {"id": self.new_id("A"), "order_id": order_id, "status": "CREATED", "value": order["value"],
                "currency": order["currency"], "create_time": moment, "update_time": moment,
                "expiration_time": moment + timedelta(days=29)}
        self.authorizations[auth["id"]] = auth
        order["authorizations"].append(auth["id"])
        order["status"] = "COMPLETED"
        self._transaction("T1300", auth["id"], order, auth["value"], "P", moment)
        self.outbox.append(("PAYMENT.AUTHORIZATION.CREATED", "authorization", {"id": auth["id"]}))
        return order

    @staticmethod
    def _require_approved(order: dict) -> None:
        if order["status"] != "APPROVED":
            issue = "ORDER_ALREADY_CAPTURED" if order["status"] == "COMPLETED" else "ORDER_NOT_APPROVED"
            raise unprocessable(issue, f"order is {order['status']}")

    def _capture(self, order: dict, value: Decimal, *, authorization: str | None,
                 when: datetime | None = None) -> dict:
        moment = when or self.now()
        capture = {"id": self.new_id("C"), "order_id": order["id"], "authorization_id": authorization,
                   "status": "COMPLETED", "value": value, "currency": order["currency"], "refunds": [],
                   "create_time": moment, "update_time": moment, "invoice_id": order.get("invoice_id")}
        self.captures[capture["id"]] = capture
        order["captures"].append(capture["id"])
        self._transaction("T0006", capture["id"], order, value, "S", moment)
        self.outbox.append(("PAYMENT.CAPTURE.COMPLETED", "capture", {"id": capture["id"]}))
        return capture

    def capture_authorization(self, auth_id: str, amount: dict | None, final: bool = False) -> dict:
        auth = self.authorization(auth_id)
        if auth["status"] == "VOIDED":
            raise unprocessable("AUTHORIZATION_VOIDED", "A voided authorization cannot be captured.")
        if auth["status"] == "CAPTURED":
            raise unprocessable("AUTHORIZATION_ALREADY_CAPTURED", "Authorization has already been captured.")
        captured = sum((self.captures[c]["value"] for c in self.orders[auth["order_id"]]["captures"]
                        if self.captures[c]["authorization_id"] == auth_id), Decimal(0))
        value = auth["value"] - captured
        if amount is not None:
            value, currency = money(amount)
            if currency != auth["currency"]:
                raise unprocessable("CURRENCY_MISMATCH", "capture currency must match the authorization")
            if value > auth["value"] - captured:
                raise unprocessable("MAX_CAPTURE_AMOUNT_EXCEEDED", "capture exceeds the authorized amount left")
        capture = self._capture(self.orders[auth["order_id"]], value, authorization=auth_id)
        done = final or captured + value == auth["value"]
        auth["status"] = "CAPTURED" if done else "PARTIALLY_CAPTURED"
        auth["update_time"] = capture["create_time"]
        return capture

    def void_authorization(self, auth_id: str) -> dict:
        auth = self.authorization(auth_id)
        if auth["status"] == "VOIDED":
            raise unprocessable("PREVIOUSLY_VOIDED", "Authorization has been previously voided.")
        if auth["status"] == "CAPTURED":
            raise unprocessable("PREVIOUSLY_CAPTURED", "Authorization has been previously captured.")
        auth["status"], auth["update_time"] = "VOIDED", self.now()
        self.outbox.append(("PAYMENT.AUTHORIZATION.VOIDED", "authorization", {"id": auth_id}))
        return auth

    def authorization(self, auth_id: str) -> dict:
        if auth_id not in self.authorizations:
            raise not_found(auth_id)
        return self.authorizations[auth_id]

    def capture(self, capture_id: str) -> dict:
        if capture_id not in self.captures:
            raise not_found(capture_id)
        return self.captures[capture_id]

    def refunded(self, capture: dict) -> Decimal:
        return sum((self.refunds[r]["value"] for r in capture["refunds"]), Decimal(0))

    def refund_capture(self, capture_id: str, body: dict) -> dict:
        """Refund <= captured - refunded; no amount = all that is left."""
        capture = self.capture(capture_id)
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            issue = "CAPTURE_FULLY_REFUNDED" if capture["status"] == "REFUNDED" else "REFUND_NOT_ALLOWED"
            raise unprocessable(issue, f"capture is {capture['status']}")
        left = capture["value"] - self.refunded(capture)
        value = left
        if body.get("amount") is not None:
            value, currency = money(body["amount"])
            if currency != capture["currency"]:
                raise unprocessable("REFUND_CURRENCY_MISMATCH", "refund currency must match the capture")
            if value > left:
                raise unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal "
                                    "to the capture amount that has not yet been refunded.")
        note = body.get("note_to_payer")
        if note is not None and (not isinstance(note, str) or len(note) > 255):
            raise invalid("INVALID_STRING_LENGTH", "note_to_payer must be a string of at most 255 characters")
        moment = self.now()
        refund = {"id": self.new_id("R"), "capture_id": capture_id, "status": "COMPLETED", "value": value,
                  "currency": capture["currency"], "note_to_payer": note, "invoice_id": body.get("invoice_id"),
                  "custom_id": body.get("custom_id"), "create_time": moment, "update_time": moment}
        self.refunds[refund["id"]] = refund
        capture["refunds"].append(refund["id"])
        capture["status"] = "REFUNDED" if value == left else "PARTIALLY_REFUNDED"
        self._transaction("T1107", refund["id"], self.orders[capture["order_id"]], -value, "S", moment)
        self.outbox.append(("PAYMENT.CAPTURE.REFUNDED", "refund", {"id": refund["id"]}))
        return refund

    def _transaction(self, code: str, txn_id: str, order: dict, value: Decimal, status: str,
                     moment: datetime) -> None:
        bisect.insort(self.transactions, {"code": code, "id": txn_id, "order_id": order["id"], "value": value,
                                  "currency": order["currency"], "status": status, "time": moment,
                                  "payer": order["payer"]}, key=lambda t: t["time"])

    # --- subscriptions --------------------------------------------------------------------------
    def create_plan(self, name: str, value: str, currency: str) -> dict:
        plan = {"id": self.new_id("P-"), "name": name, "value": Decimal(value), "currency": currency}
        self.plans[plan["id"]] = plan
        return plan

    def create_subscription(self, plan_id: str, email: str, name: tuple[str, str] = ("Sam", "Subscriber")) -> dict:
        if plan_id not in self.plans:
            raise not_found(plan_id)
        moment = self.now()
        sub = {"id": self.new_id("I-"), "plan_id": plan_id, "status": "ACTIVE", "email": email.lower(),
               "name": name, "payer_id": "P" + secrets.token_hex(6).upper(), "create_time": moment,
               "update_time": moment, "next_billing_time": moment + timedelta(days=30), "status_change_note": None}
        self.subscriptions[sub["id"]] = sub
        return sub

    def subscription(self, sub_id: str) -> dict:
        if sub_id not in self.subscriptions:
            raise not_found(sub_id)
        return self.subscriptions[sub_id]

    def cancel_subscription(self, sub_id: str, reason) -> None:
        sub = self.subscription(sub_id)
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 128:
            raise invalid("INVALID_PARAMETER_VALUE", "reason is required (1 to 128 characters)")
        if sub["status"] not in ("ACTIVE", "SUSPENDED", "APPROVAL_PENDING", "APPROVED"):
            raise unprocessable("SUBSCRIPTION_STATUS_INVALID", f"Invalid subscription status: {sub['status']}")
        sub.update(status="CANCELLED", status_change_note=reason, update_time=self.now(), next_billing_time=None)
        self.outbox.append(("BILLING.SUBSCRIPTION.CANCELLED", "subscription", {"id": sub_id}))

    # --- invoices -------------------------------------------------------------------------------
    def create_invoice(self, body: dict) -> dict:
        detail = body.get("detail") if isinstance(body.get("detail"), dict) else None
        recipients = body.get("primary_recipients")
        items = body.get("items")
        if detail is None or not isinstance(detail.get("currency_code"), str):
            raise invalid("MISSING_REQUIRED_PARAMETER", "detail.currency_code is required")
        if not isinstance(items, list) or not items:
            raise invalid("MISSING_REQUIRED_PARAMETER", "items must list at least one item")
        try:
            email = recipients[0]["billing_info"]["email_address"]
        except (TypeError, KeyError, IndexError):
            raise invalid("MISSING_REQUIRED_PARAMETER", "primary_recipients[0].billing_info.email_address") from None
        currency = detail["currency_code"].upper()
        name = recipients[0]["billing_info"].get("name") or {}
        lines = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise invalid("MISSING_REQUIRED_PARAMETER", f"items[{index}].name is required")
            value, item_currency = money(item.get("unit_amount"), f"items[{index}].unit_amount")
            if item_currency != currency:
                raise unprocessable("CURRENCY_MISMATCH", "item currency must match detail.currency_code")
            quantity = str(item.get("quantity", "1"))
            if not quantity.isdigit() or int(quantity) < 1:
                raise invalid("INVALID_PARAMETER_VALUE", f"items[{index}].quantity must be a positive integer")
            lines.append({"name": item["name"], "quantity": int(quantity), "value": value})
        moment = self.now()
        invoice = {"id": self.new_id("INV2-"), "status": "DRAFT", "currency": currency, "email": str(email).lower(),
                   "name": name if isinstance(name, dict) else {},
                   "number": str(detail.get("invoice_number") or f"{len(self.invoices) + 1:04d}"),
                   "items": lines, "create_time": moment, "due_date": detail.get("payment_term", {}).get("due_date"),
                   "paid": Decimal(0)}
        self.invoices[invoice["id"]] = invoice
        return invoice

    def invoice(self, invoice_id: str) -> dict:
        if invoice_id not in self.invoices:
            raise not_found(invoice_id)
        return self.invoices[invoice_id]

    def send_invoice(self, invoice_id: str, body: dict) -> dict:
        invoice = self.invoice(invoice_id)
        if invoice["status"] != "DRAFT":
            raise unprocessable("CANT_SEND_NON_DRAFT_INVOICE", f"Invoice is {invoice['status']}, not DRAFT")
        invoice["status"] = "SENT"
        if body.get("send_to_recipient", True):
            self.emails.append({"invoice_id": invoice_id, "to": invoice["email"], "kind": "invoice"})
        self.outbox.append(("INVOICING.INVOICE.UPDATED", "invoices", {"id": invoice_id}))
        return invoice

    def remind_invoice(self, invoice_id: str) -> None:
        """The payment request reminder: only for a sent, unpaid invoice."""
        invoice = self.invoice(invoice_id)
        if invoice["status"] not in ("SENT", "UNPAID", "PARTIALLY_PAID"):
            raise unprocessable("CANT_REMIND_INVOICE", f"Invoice is {invoice['status']}")
        self.emails.append({"invoice_id": invoice_id, "to": invoice["email"], "kind": "reminder"})

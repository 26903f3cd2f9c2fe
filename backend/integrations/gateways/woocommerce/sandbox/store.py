"""The sandbox's state and WooCommerce's rules over it (refund limits, statuses, the extension).

Everything is kept as WooCommerce stores it: money as decimal strings in major units of the
order's currency (never floats), dates as GMT, ids from one sequence shared by orders and refunds
(both are posts in WordPress). Callers hold `lock` while they read or change anything.
"""
from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from backend.money import exponent

ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded",
                  "failed", "checkout-draft")
PAID_STATUSES = ("processing", "completed", "on-hold", "refunded")
SUBSCRIPTION_STATUSES = ("pending", "active", "on-hold", "cancelled", "switched", "expired",
                         "pending-cancel")
# payment method id -> (title, can the plugin refund automatically through its processor?)
PAYMENT_GATEWAYS = {"stripe": ("Credit card (Stripe)", True), "ppcp-gateway": ("PayPal", True),
                    "bacs": ("Direct bank transfer", False), "cod": ("Cash on delivery", False),
                    "cheque": ("Check payments", False)}


class WooError(Exception):
    """A WP_Error as the REST API renders it: {code, message, data: {status}}."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def amount(value, currency: str, *, field: str = "amount") -> Decimal:
    """A money value as WooCommerce accepts it: a decimal string within the currency's precision."""
    if isinstance(value, (bool, float)) or value is None:
        raise WooError(400, "rest_invalid_param", f"Invalid parameter(s): {field} must be a decimal string")
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise WooError(400, "rest_invalid_param", f"Invalid parameter(s): {field} is not a number") from None
    if not parsed.is_finite() or parsed.as_tuple().exponent < -exponent(currency):
        raise WooError(400, "rest_invalid_param",
                       f"Invalid parameter(s): {field} has more decimals than {currency} allows")
    return parsed


def text(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-exponent(currency))))


class Store:
    def __init__(self, *, consumer_key: str, consumer_secret: str):
        self.lock = threading.RLock()
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.reset()

    def reset(self, *, subscriptions: bool = True) -> None:
        self.ids = itertools.count(100)
        self.orders: dict[int, dict] = {}
        self.refunds: dict[int, dict] = {}
        self.customers: dict[int, dict] = {}
        self.subscriptions: dict[int, dict] = {}
        self.notes: dict[int, list[dict]] = {}
        self.emails: list[dict] = []  # what the shop emailed: {order_id, to, template}
        self.subscriptions_extension = subscriptions
        self.refunds_route = True  # GET /wc/v3/refunds (newer WooCommerce); False: an older shop
        self.nonces: set[tuple[str, str]] = set()
        self.failures: list[dict] = []
        self.requests: list[dict] = []
        self.webhooks: list[dict] = []  # {id, delivery_url, secret, topics}
        self.deliveries: list[dict] = []
        self.outbox: list[tuple[str, dict]] = []  # (topic, payload) waiting to be delivered
        self.clock_offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0) + self.clock_offset

    def next_id(self) -> int:
        return next(self.ids)

    def emit(self, topic: str, obj: dict) -> None:
        if self.webhooks:
            self.outbox.append((topic, obj))

    # --- customers ------------------------------------------------------------------------------
    def create_customer(self, data: dict) -> dict:
        email = (data.get("email") or "").strip()
        if "@" not in email:
            raise WooError(400, "registration-error-invalid-email", "Please provide a valid email address.")
        if any(c["email"].lower() == email.lower() for c in self.customers.values()):
            raise WooError(400, "registration-error-email-exists",
                           "An account is already registered with your email address.")
        cid = self.next_id()
        customer = {"id": cid, "email": email, "first_name": data.get("first_name", ""),
                    "last_name": data.get("last_name", ""), "username": data.get("username") or email,
                    "role": "customer", "date_created": self.now(),
                    "billing": {"email": email, **(data.get("billing") or {})}}
        self.customers[cid] = customer
        self.emit("customer.created", customer)
        return customer

    def customer(self, cid: int) -> dict:
        if cid not in self.customers:
            raise WooError(400, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        return self.customers[cid]

    # --- orders ---------------------------------------------------------------------------------
    def create_order(self, data: dict) -> dict:
        currency = str(data.get("currency") or "USD").upper()
        customer_id = int(data.get("customer_id") or 0)
        billing = dict(data.get("billing") or {})
        if customer_id:
            billing = {**self.customer(customer_id)["billing"], **billing}
        method = data.get("payment_method", "stripe")
        if method not in PAYMENT_GATEWAYS:
            raise WooError(400, "rest_invalid_param", f"Invalid parameter(s): payment_method {method!r}")
        status = data.get("status", "processing")
        if status not in ORDER_STATUSES:
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): status")
        lines = [{"id": self.next_id(), "name": li.get("name", "Item"),
                  "product_id": int(li.get("product_id", 0)), "quantity": int(li.get("quantity", 1)),
                  "total": text(amount(li.get("total", "0"), currency, field="line_items.total"), currency)}
                 for li in data.get("line_items") or ()]
        total = amount(data["total"], currency, field="total") if "total" in data else \
            sum((Decimal(li["total"]) for li in lines), Decimal(0))
        oid = self.next_id()
        created = data.get("date_created") or self.now()
        order = {"id": oid, "number": str(oid), "order_key": f"wc_order_{oid:08x}", "status": status,
                 "currency": currency, "total": text(total, currency), "customer_id": customer_id,
                 "billing": billing, "payment_method": method,
                 "payment_method_title": PAYMENT_GATEWAYS[method][0],
                 "transaction_id": f"txn_{oid}" if status in PAID_STATUSES else "",
                 "line_items": lines, "refund_ids": [], "meta_data": [], "date_created": created,
                 "date_modified": created,
                 "date_paid": created if status in PAID_STATUSES else None}
        self.orders[oid] = order
        self.emit("order.created", order)
        return order

    def order(self, oid: int) -> dict:
        if oid not in self.orders:
            raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return self.orders[oid]

    def refunded_total(self, order: dict) -> Decimal:
        return sum((Decimal(self.refunds[r]["amount"]) for r in order["refund_ids"]), Decimal(0))

    def update_order(self, oid: int, data: dict) -> dict:
        order = self.order(oid)
        if "status" in data:
            if data["status"] not in ORDER_STATUSES:
                raise WooError(400, "rest_invalid_param", "Invalid parameter(s): status")
            order["status"] = data["status"]
        order["date_modified"] = self.now()
        self.emit("order.updated", order)
        return order

    def create_refund(self, oid: int, data: dict) -> dict:
        """wc_create_refund: amount within what is left, through the order's payment gateway."""
        order = self.order(oid)
        currency = order["currency"]
        value = amount(data.get("amount", "0"), currency)
        left = Decimal(order["total"]) - self.refunded_total(order)
        if value <= 0:
            raise WooError(400, "woocommerce_rest_invalid_order_refund",
                           "Refund amount must be greater than zero.")
        if value > left:
            raise WooError(500, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
        api_refund = data.get("api_refund", True) not in (False, "false", 0, "0")
        if api_refund:
            title, can_refund = PAYMENT_GATEWAYS[order["payment_method"]]
            if order["status"] not in PAID_STATUSES or not order["date_paid"]:
                raise WooError(500, "woocommerce_rest_cannot_create_order_refund",
                               "Order must be paid before it can be refunded through the payment gateway.")
            if not can_refund:
                raise WooError(500, "woocommerce_rest_cannot_create_order_refund",
                               f"The payment gateway for this order ({title}) does not support automatic refunds.")
        meta = [{"id": self.next_id(), "key": str(m.get("key", "")), "value": m.get("value")}
                for m in data.get("meta_data") or () if isinstance(m, dict)]
        rid = self.next_id()
        refund = {"id": rid, "order_id": oid, "date_created": self.now(), "amount": text(value, currency),
                  "reason": str(data.get("reason") or ""), "refunded_by": 1,
                  "refunded_payment": api_refund, "meta_data": meta, "line_items": []}
        self.refunds[rid] = refund
        order["refund_ids"].append(rid)
        if value == left:
            order["status"] = "refunded"  # WooCommerce marks a fully refunded order
        order["date_modified"] = self.now()
        self.emit("action.woocommerce_order_refunded", {"action": "woocommerce_order_refunded",
                                                        "arg": oid})
        self.emit("order.updated", order)
        return refund

    def send_order_details(self, oid: int) -> str:
        order = self.order(oid)
        to = order["billing"].get("email")
        if not to:
            raise WooError(400, "woocommerce_rest_missing_email", "Order does not have an email address.")
        template = "customer_invoice" if order["status"] in ("pending", "failed", "on-hold") else \
            "customer_completed_order"
        self.emails.append({"order_id": oid, "to": to, "template": template})
        self.add_note(oid, "Order details manually sent to customer.")
        return f"Order details sent to {to}, via REST API."

    def add_note(self, oid: int, note: str, *, customer_note: bool = False) -> dict:
        self.order(oid)
        entry = {"id": self.next_id(), "note": note, "customer_note": customer_note,
                 "author": "WooCommerce", "date_created": self.now()}
        self.notes.setdefault(oid, []).append(entry)
        return entry

    # --- subscriptions (WooCommerce Subscriptions extension) ------------------------------------
    def require_extension(self) -> None:
        if not self.subscriptions_extension:
            raise WooError(404, "rest_no_route", "No route was found matching the URL and request method.")

    def create_subscription(self, data: dict) -> dict:
        self.require_extension()
        customer = self.customer(int(data.get("customer_id") or 0))
        currency = str(data.get("currency") or "USD").upper()
        period = data.get("billing_period", "month")
        if period not in ("day", "week", "month", "year"):
            raise WooError(400, "rest_invalid_param", "Invalid parameter(s): billing_period")
        sid, now = self.next_id(), self.now()
        sub = {"id": sid, "status": data.get("status", "active"), "currency": currency,
               "customer_id": customer["id"], "billing": dict(customer["billing"]),
               "total": text(amount(data.get("total", "0"), currency, field="total"), currency),
               "billing_period": period, "billing_interval": str(data.get("billing_interval", "1")),
               "date_created": now, "next_payment_date": now + timedelta(days=30), "end_date": None,
               "trial_end_date": None, "cancelled_date": None,
               "line_items": [{"id": self.next_id(), "name": data.get("product_name", "Pro plan"),
                               "product_id": int(data.get("product_id", 7)), "quantity": 1}]}
        self.subscriptions[sid] = sub
        self.emit("subscription.created", sub)
        return sub

    def subscription(self, sid: int) -> dict:
        self.require_extension()
        if sid not in self.subscriptions:
            raise WooError(404, "woocommerce_rest_shop_subscription_invalid_id", "Invalid ID.")
        return self.subscriptions[sid]

    def update_subscription(self, sid: int, data: dict) -> dict:
        """Status changes as WC_Subscription::can_be_updated_to allows them."""
        sub = self.subscription(sid)
        wanted = data.get("status")
        if wanted is not None and wanted != sub["status"]:
            allowed = {"cancelled": ("active", "on-hold", "pending", "pending-cancel"),
                       "pending-cancel": ("active",), "on-hold": ("active", "pending"),
                       "active": ("on-hold", "pending")}
            if sub["status"] not in allowed.get(wanted, ()):
                raise WooError(400, "woocommerce_rest_invalid_shop_subscription_status",
                               f"Unable to change subscription status to \"{wanted}\" from \"{sub['status']}\".")
            if wanted == "cancelled":
                sub["end_date"] = sub["cancelled_date"] = self.now()
                sub["next_payment_date"] = None
            elif wanted == "pending-cancel":
                sub["end_date"], sub["next_payment_date"] = sub["next_payment_date"], None
                sub["cancelled_date"] = self.now()
            sub["status"] = wanted
        self.emit("subscription.updated", sub)
        return sub

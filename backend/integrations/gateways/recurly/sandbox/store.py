"""In-memory state of the Recurly sandbox: objects, ids, a movable clock, money rules, listings.

Objects are plain dicts holding Decimals and datetimes; `render.py` turns them into the JSON the
v2021-02-25 API returns. Keys starting with "_" are sandbox bookkeeping and never rendered.
"""
from __future__ import annotations

import secrets
import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlencode

from backend.money import exponent

KINDS = ("accounts", "plans", "coupons", "redemptions", "subscriptions", "invoices", "transactions")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_PREFIXES = {"accounts": "code", "plans": "code", "coupons": "code", "invoices": "number"}


class ApiError(Exception):
    """An error as Recurly sends it: an HTTP status and {"error": {type, message, params}}."""

    def __init__(self, status: int, type_: str, message: str, *, params=(), extra=None):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message
        self.params, self.extra = list(params), dict(extra or {})

    def body(self) -> dict:
        return {"error": {"type": self.type, "message": self.message,
                          "params": self.params, **self.extra}}


def validation_error(param: str, message: str) -> ApiError:
    """Recurly's 422 for a bad field; the SDK raises recurly.errors.ValidationError."""
    return ApiError(422, "validation", f"{param} {message}",
                    params=[{"param": param, "message": message}])


def format_time(moment: datetime | None) -> str | None:
    """Recurly's timestamp format; the SDK parses exactly %Y-%m-%dT%H:%M:%S%z (no fractions)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, param: str) -> datetime:
    """An ISO 8601 timestamp from a request; naive values count as UTC like Recurly's."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise validation_error(param, "is not a valid ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_money(value, currency: str, param: str) -> Decimal:
    """A non-negative amount in major units, refusing more decimals than the currency has."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise validation_error(param, "is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise validation_error(param, "must be a non-negative number")
    if amount != quantize(amount, currency):
        raise validation_error(param, f"has more decimals than {currency} allows")
    return quantize(amount, currency)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (JPY 0, USD 2, KWD 3 decimals)."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


class Store:
    """Everything the sandbox remembers; one lock serialises all requests."""

    def __init__(self, *, api_keys: tuple[str, ...]):
        self.lock = threading.RLock()
        self.api_keys = set(api_keys)
        self.reset()

    def reset(self) -> None:
        """Forget every object, key, failure rule, request and webhook endpoint."""
        with self.lock:
            self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
            self.site_id = self.new_id()
            self.clock_offset = timedelta(0)
            self.idempotency: dict[str, tuple[str, int, bytes]] = {}
            self.requests: list[dict] = []
            self.failures: list[dict] = []
            self.delays: list[dict] = []
            self.webhook_endpoints: list[tuple[str, str]] = []
            self.outbox: list[dict] = []
            self.deliveries: list[dict] = []
            self.webhook_timestamp_unit = "ms"
            self.declined_cards = {"4000000000000002"}
            self._seq = 0
            self._invoice_number = 1000

    # --- ids and time ---------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0) + self.clock_offset

    @staticmethod
    def new_id() -> str:
        """Recurly-style id: 12 lowercase alphanumerics."""
        return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))

    def next_invoice_number(self) -> str:
        self._invoice_number += 1
        return str(self._invoice_number)

    # --- objects --------------------------------------------------------------------------------
    def add(self, kind: str, obj: dict) -> dict:
        """Store a new object with id, uuid, timestamps and a creation sequence for ordering."""
        self._seq += 1
        now = self.now()
        obj.update(id=obj.get("id") or self.new_id(), uuid=uuid.uuid4().hex, _seq=self._seq)
        obj.setdefault("created_at", now)
        obj.setdefault("updated_at", now)
        self.objects[kind][obj["id"]] = obj
        return obj

    def touch(self, obj: dict) -> None:
        obj["updated_at"] = self.now()

    def get(self, kind: str, ident: str) -> dict:
        """Find by id, or by the prefixed forms Recurly accepts (code-, number-, uuid-)."""
        found = self.lookup(kind, ident)
        if found is None:
            noun = kind.rstrip("s").replace("redemption", "coupon_redemption")
            raise ApiError(404, "not_found", f"Couldn't find {noun.title()} with id = {ident}")
        return found

    def lookup(self, kind: str, ident: str) -> dict | None:
        table = self.objects[kind]
        prefix, _, rest = str(ident).partition("-")
        if rest and prefix == "uuid":
            return next((o for o in table.values() if o["uuid"] == rest), None)
        if rest and prefix == _PREFIXES.get(kind):
            return next((o for o in table.values() if o.get(prefix) == rest), None)
        return table.get(ident)

    def notify(self, object_type: str, event_type: str, obj: dict, account: dict | None = None):
        """Queue a JSON webhook; delivered after the request that caused it has finished."""
        payload = {"id": self.new_id(), "object_type": object_type, "site_id": self.site_id,
                   "event_type": event_type, "event_time": format_time(self.now()),
                   "uuid": obj["uuid"]}
        if account is not None:
            payload["account_code"] = account["code"]
        self.outbox.append(payload)

    # --- listings -------------------------------------------------------------------------------
    def list_response(self, kind: str, items, args, path: str, render) -> dict:
        """Recurly's list envelope with limit/order/sort/begin_time/end_time and a seek cursor."""
        limit = _int_arg(args, "limit", 20, 1, 200)
        order = _choice_arg(args, "order", "desc", ("asc", "desc"))
        sort = _choice_arg(args, "sort", "created_at", ("created_at", "updated_at"))
        key = lambda o: (int(o[sort].timestamp()), o["_seq"])  # noqa: E731
        rows = sorted(self._in_window(items, args, sort), key=key, reverse=order == "desc")
        if args.get("cursor"):
            mark = self._cursor_key(kind, args["cursor"])
            rows = [o for o in rows if (key(o) > mark if order == "asc" else key(o) < mark)]
        page, has_more = rows[:limit], len(rows) > limit
        next_path = None
        if has_more:
            params = {k: v for k, v in args.items() if k != "cursor"}
            params.update(cursor=f"{page[-1]['id']}:{key(page[-1])[0]}", limit=limit,
                          order=order, sort=sort)
            next_path = f"{path}?{urlencode(sorted(params.items()))}"
        return {"object": "list", "has_more": has_more, "next": next_path,
                "data": [render(o) for o in page]}

    @staticmethod
    def _in_window(items, args, sort: str):
        begin = parse_time(args["begin_time"], "begin_time") if args.get("begin_time") else None
        end = parse_time(args["end_time"], "end_time") if args.get("end_time") else None
        return [o for o in items
                if (begin is None or o[sort] >= begin) and (end is None or o[sort] <= end)]

    def _cursor_key(self, kind: str, cursor: str) -> tuple[int, int]:
        ident, _, stamp = cursor.partition(":")
        obj = self.objects[kind].get(ident)
        if obj is None or not stamp.isdigit():
            raise ApiError(400, "bad_request", f"Invalid cursor {cursor!r}")
        return int(stamp), obj["_seq"]


def _int_arg(args, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, default)
    if not str(raw).isdigit() or not low <= int(raw) <= high:
        raise validation_error(name, f"must be an integer between {low} and {high}")
    return int(raw)


def _choice_arg(args, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = args.get(name, default)
    if value not in allowed:
        raise validation_error(name, f"must be one of {', '.join(allowed)}")
    return value

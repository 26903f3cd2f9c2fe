"""Everything the sandbox remembers, behind one lock, and the per-request `Call` handlers receive."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import not_found
from .idempotency import IdempotencyStore
from .store import Store
from .templates import API_VERSION, label
from .views import render
from .webhooks import WebhookDispatcher, wants


@dataclass
class FailureRule:
    remaining: int
    status: int = 500
    path_prefix: str = ""
    after_commit: bool = False


class SandboxState:
    """Objects, idempotency records, injected failures, request log, webhook endpoints' secrets."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.webhooks = WebhookDispatcher()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.store = Store()
            self.idempotency = IdempotencyStore()
            self.failures: list[FailureRule] = []
            self.request_log: list[tuple[str, str, str | None]] = []
            self.secrets: dict[str, str] = {}  # webhook endpoint id -> signing secret
            self.cards: dict[str, str] = {}  # payment method id -> card number (never returned)
            self.outbox: list[tuple[str, str, bytes]] = []  # deliveries waiting for the request to commit
            self.tombstones: dict[str, dict] = {}  # deleted customers still answer retrieve
            self.invoice_sends: list[dict] = []  # what /v1/invoices/{id}/send "emailed"
            self.webhooks.clear()

    def take_failure(self, path: str) -> FailureRule | None:
        """The first armed failure matching `path`, with its count used up by one."""
        for rule in self.failures:
            if rule.remaining > 0 and path.startswith(rule.path_prefix):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.failures.remove(rule)
                return rule
        return None

    def record_event(self, event_type: str, obj: dict, previous: dict | None = None,
                     request: dict | None = None) -> dict:
        """Store an Event with a snapshot of `obj` and queue it for every subscribed endpoint."""
        data: dict[str, Any] = {"object": render(self.store, obj)}
        if previous:
            data["previous_attributes"] = previous
        endpoints = [we for we in self.store.all("webhook_endpoint")
                     if we["status"] == "enabled" and wants(we["enabled_events"], event_type)]
        event = self.store.insert({
            "id": self.store.new_id("evt_"), "object": "event", "api_version": API_VERSION,
            "created": self.store.now(), "data": data, "livemode": False,
            "pending_webhooks": len(endpoints), "request": request or {"id": None, "idempotency_key": None},
            "type": event_type,
        })
        if endpoints:
            body = json.dumps(render(self.store, event), indent=2).encode()
            self.outbox += [(endpoint["url"], self.secrets[endpoint["id"]], body) for endpoint in endpoints]
            if self.store.journal is None:
                self.send_outbox()
        return event

    def send_outbox(self) -> None:
        """Hand the committed request's deliveries to the background sender."""
        outbox, self.outbox = self.outbox, []
        for url, secret, body in outbox:
            self.webhooks.enqueue(url, secret, body)

    def commit(self) -> None:
        self.store.commit()
        self.send_outbox()

    def rollback(self) -> None:
        """Forget a failed request's changes and the events it would have sent."""
        self.store.rollback()
        self.outbox = []


@dataclass
class Call:
    """One API request as a handler sees it."""

    state: SandboxState
    params: dict
    method: str = "GET"
    path: str = "/"
    api_key: str = ""
    idempotency_key: str | None = None
    request_id: str = ""
    base_url: str = ""
    events: list = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.state.store

    def now(self) -> int:
        return self.store.now()

    def new_id(self, prefix: str) -> str:
        return self.store.new_id(prefix)

    def get(self, kind: str, object_id: Any, *, param: str = "id") -> dict:
        """The stored object or Stripe's 404 resource_missing."""
        found = self.store.get(kind, object_id)
        if found is None:
            raise not_found(label(kind), str(object_id), param=param)
        return found

    def insert(self, obj: dict) -> dict:
        return self.store.insert(obj)

    def update(self, obj: dict, changes: dict) -> dict:
        return self.store.update(obj, changes)

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        request = {"id": self.request_id or None, "idempotency_key": self.idempotency_key}
        return self.state.record_event(event_type, obj, previous, request)

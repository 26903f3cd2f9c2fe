"""Webhook endpoints and signed delivery from one background thread, in event order."""
from __future__ import annotations

import hashlib
import hmac
import queue
import threading
import time
import urllib.error
import urllib.request


# Loopback deliveries must never go through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe-Signature header value: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def wants(enabled_events: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `enabled_events` gets `event_type` (`*` = everything)."""
    return "*" in enabled_events or event_type in enabled_events


class WebhookDispatcher:
    """Queue of (url, secret, body); a daemon thread POSTs them and records (url, status)."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.deliveries: list[tuple[str, int]] = []
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def enqueue(self, url: str, secret: str, body: bytes) -> None:
        self._ensure_thread()
        self._queue.put((url, secret, body))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def clear(self) -> None:
        self.deliveries.clear()

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="stripe-sandbox-webhooks")
                self._thread.start()

    def _run(self) -> None:
        while True:
            url, secret, body = self._queue.get()
            try:
                self.deliveries.append((url, self._post(url, secret, body)))
            finally:
                self._queue.task_done()

    def _post(self, url: str, secret: str, body: bytes) -> int:
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(body, secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        })
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (OSError, ValueError):
            return 0

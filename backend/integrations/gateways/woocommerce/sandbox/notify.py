"""Webhooks as WooCommerce delivers them (WC_Webhook::deliver and ::deliver_ping).

A delivery is a POST of the resource's JSON with X-WC-Webhook-Signature =
base64(HMAC-SHA256(secret, raw body)) and the Topic/Resource/Event/ID/Delivery-ID/Source headers.
A new webhook is first pinged with the unsigned form body `webhook_id=<id>`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.error
import urllib.request
import uuid

from . import render
from .store import Store

RESOURCE_RENDERERS = {"order": render.order, "customer": render.customer,
                      "subscription": render.subscription}


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def delivery(store: Store, hook: dict, topic: str, obj: dict, *, source: str = "http://shop.example/") -> tuple[dict, bytes]:
    """The headers and body WooCommerce would POST for `topic` about `obj` (call under the lock)."""
    resource, _, event = topic.partition(".")
    payload = obj if resource == "action" else RESOURCE_RENDERERS[resource](store, obj)
    body = render.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7)",
               "X-WC-Webhook-Source": source, "X-WC-Webhook-Topic": topic,
               "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
               "X-WC-Webhook-Signature": sign(hook["secret"], body), "X-WC-Webhook-ID": str(hook["id"]),
               "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex}
    return headers, body


def ping(hook: dict) -> tuple[dict, bytes]:
    return ({"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "WooCommerce/9.4.2 Hookshot"},
            f"webhook_id={hook['id']}".encode())


def _wants(hook: dict, topic: str) -> bool:
    return any(t == topic or (t.endswith(".*") and topic.startswith(t[:-1])) for t in hook["topics"])


def deliver_pending(store: Store, pending: list[tuple[str, dict]]) -> None:
    """POST what a change queued to every webhook subscribed to its topic (outside the lock)."""
    if not pending:
        return
    with store.lock:
        posts = [(hook, topic, *delivery(store, hook, topic, obj))
                 for topic, obj in pending for hook in store.webhooks if _wants(hook, topic)]
    for hook, topic, headers, body in posts:
        post(store, hook["delivery_url"], headers, body, topic)


def post(store: Store, url: str, headers: dict, body: bytes, topic: str) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    with store.lock:
        store.deliveries.append({"url": url, "topic": topic, "status": status, "body": body.decode()})
    return status

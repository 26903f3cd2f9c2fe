"""The receiver cache: a rejection is always confirmed fresh; an acceptance is at most TTL stale."""
import hashlib
import hmac
import json
import time

from sqlalchemy import delete, func, select, update

from backend.db import session, transaction
from backend.models import GatewayConnection, InboundWebhook
from backend.sync import receivers

SECRET = "whsec_test_secret"  # the stripe_connection fixture's
_TABLE = GatewayConnection.__table__


def _delivery(n: int, secret: str = SECRET) -> tuple[bytes, dict]:
    body = json.dumps({"id": f"evt_cache_{n}", "object": "event", "type": "charge.succeeded",
                       "created": int(time.time()),
                       "data": {"object": {"id": f"ch_cache_{n}", "object": "charge", "amount": 500,
                                           "amount_captured": 500, "amount_refunded": 0,
                                           "captured": True, "currency": "usd",
                                           "status": "succeeded", "customer": None,
                                           "created": int(time.time())}}}).encode()
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={mac}"}


def _post(client, conn_id, n, secret=SECRET, kind="stripe"):
    body, headers = _delivery(n, secret)
    return client.post(f"/webhooks/{kind}/{conn_id}", data=body, headers=headers)


def _set_secrets_elsewhere(conn_id, secrets):
    """As another process would: a Core UPDATE fires no ORM event, so no local eviction."""
    with transaction() as s:
        s.execute(update(_TABLE).where(_TABLE.c.id == conn_id).values(webhook_secrets=secrets))


class _Clock:
    def __init__(self):
        self.now = time.monotonic()

    def monotonic(self):
        return self.now


def test_a_secret_added_elsewhere_works_at_once(client, stripe_connection):
    assert _post(client, stripe_connection.id, 1).status_code == 200  # caches the receiver
    _set_secrets_elsewhere(stripe_connection.id, [SECRET, "whsec_new"])
    assert receivers.cached(stripe_connection.id) is not None
    resp = _post(client, stripe_connection.id, 2, secret="whsec_new")
    assert resp.status_code == 200, resp.get_json()


def test_a_removed_secret_is_refused_once_the_cache_expires(client, stripe_connection,
                                                             monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(receivers, "time", clock)
    assert _post(client, stripe_connection.id, 1).status_code == 200
    _set_secrets_elsewhere(stripe_connection.id, ["whsec_replacement"])
    clock.now += receivers.RECEIVER_TTL_SECONDS - 0.5
    assert _post(client, stripe_connection.id, 2).status_code == 200  # the documented bound
    clock.now += 1.0
    resp = _post(client, stripe_connection.id, 3)
    assert resp.status_code == 400 and resp.get_json()["message"].startswith("webhook rejected")
    assert session().scalar(select(func.count()).select_from(InboundWebhook)) == 2


def test_a_change_saved_through_the_orm_here_evicts_at_once(client, stripe_connection):
    assert _post(client, stripe_connection.id, 1).status_code == 200
    with transaction() as s:
        s.get(GatewayConnection, stripe_connection.id).webhook_secrets = ["whsec_replacement"]
    assert receivers.cached(stripe_connection.id) is None
    assert _post(client, stripe_connection.id, 2).status_code == 400


def test_a_connection_deleted_elsewhere_is_404_not_500(client, stripe_connection):
    assert _post(client, stripe_connection.id, 1).status_code == 200
    with transaction() as s:
        s.execute(delete(_TABLE).where(_TABLE.c.id == stripe_connection.id))
    resp = _post(client, stripe_connection.id, 2)
    assert resp.status_code == 404, resp.get_json()
    assert receivers.cached(stripe_connection.id) is None


def test_wrong_kind_is_404_even_with_a_cached_receiver(client, stripe_connection):
    assert _post(client, stripe_connection.id, 1).status_code == 200
    assert _post(client, stripe_connection.id, 2, kind="recurly").status_code == 404

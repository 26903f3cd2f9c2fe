"""POST /webhooks/stripe/<id>: verify on the raw body, store once, process in a job."""
import hashlib
import hmac
import json
import time

from sqlalchemy import func, select

from backend import jobs
from backend.db import session
from backend.models import Charge, InboundWebhook
from tests.conftest import wait_for

SECRET = "whsec_test_secret"


def _sign(body: bytes, secret: str = SECRET, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _event(seeder, charge_id, event_id="evt_test_1", type_="charge.refunded") -> bytes:
    charge = seeder.get(f"/v1/charges/{charge_id}")
    return json.dumps({"id": event_id, "object": "event", "type": type_, "created": int(time.time()),
                       "api_version": "2026-10-28.endive", "livemode": False,
                       "data": {"object": charge}}).encode()


def _post(client, conn_id, body, signature):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post(f"/webhooks/stripe/{conn_id}", data=body, headers=headers)


def _stored():
    return session().scalar(select(func.count()).select_from(InboundWebhook))


def test_valid_webhook_is_stored_and_processed(client, stripe_connection, seeder, rq_worker):
    cus = seeder.customer("hook@example.com")
    ch = seeder.charge(cus["id"], 3000)
    seeder.refund(ch["id"], 1000)  # made "in the gateway's dashboard"
    body = _event(seeder, ch["id"])
    resp = _post(client, stripe_connection.id, body, _sign(body))
    assert resp.status_code == 200 and resp.get_json() == {"received": True, "duplicate": False}
    rq_worker()

    def mirrored():
        session().expire_all()
        return session().scalars(select(Charge).where(Charge.external_id == ch["id"])).one_or_none()
    charge = wait_for(mirrored, message="the webhook job to mirror the charge")
    assert charge.amount_refunded_minor == 1000
    row = session().scalars(select(InboundWebhook)).one()
    assert row.status == "processed" and row.body == body and row.event_type == "charge.refunded"


def test_stored_row_keeps_the_signature_headers_under_their_usual_names(client, stripe_connection):
    body = json.dumps({"id": "evt_hdr", "object": "event", "type": "issuing_card.created",
                       "created": int(time.time()), "data": {"object": {"id": "ic_1"}}}).encode()
    signature = _sign(body)
    resp = client.post(f"/webhooks/stripe/{stripe_connection.id}", data=body, headers={
        "content-type": "application/json", "stripe-signature": signature, "X-Other": "dropped"})
    assert resp.status_code == 200
    row = session().scalars(select(InboundWebhook)).one()
    assert row.headers["Stripe-Signature"] == signature
    assert row.headers["Content-Type"] == "application/json"
    assert "X-Other" not in row.headers and row.event_id == "evt_hdr"


def test_duplicate_delivery_is_a_no_op(client, stripe_connection, seeder):
    cus = seeder.customer("dup@example.com")
    body = _event(seeder, seeder.charge(cus["id"], 100)["id"])
    assert _post(client, stripe_connection.id, body, _sign(body)).get_json()["duplicate"] is False
    assert _post(client, stripe_connection.id, body, _sign(body)).get_json()["duplicate"] is True
    assert _stored() == 1


def test_rotated_secret_and_several_signatures(client, stripe_connection, seeder):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        s.get(GatewayConnection, stripe_connection.id).webhook_secrets = ["whsec_old", "whsec_new"]
    cus = seeder.customer("rot@example.com")
    body = _event(seeder, seeder.charge(cus["id"], 100)["id"], event_id="evt_rot")
    assert _post(client, stripe_connection.id, body, _sign(body, "whsec_new")).status_code == 200
    body2 = _event(seeder, seeder.charge(cus["id"], 200)["id"], event_id="evt_rot2")
    t = int(time.time())
    two = _sign(body2, "whsec_unknown", t) + "," + _sign(body2, "whsec_old", t).split(",")[1]
    assert _post(client, stripe_connection.id, body2, two).status_code == 200


def test_bad_signatures_are_400_and_nothing_stored(client, stripe_connection, seeder):
    cus = seeder.customer("bad@example.com")
    body = _event(seeder, seeder.charge(cus["id"], 100)["id"])
    cases = {
        "tampered": (body.replace(b"100", b"999"), _sign(body)),
        "wrong secret": (body, _sign(body, "whsec_wrong")),
        "stale": (body, _sign(body, t=int(time.time()) - 3600)),
        "missing": (body, None),
    }
    for name, (payload, signature) in cases.items():
        resp = _post(client, stripe_connection.id, payload, signature)
        assert resp.status_code == 400, name
        assert resp.get_json()["message"].startswith("webhook rejected"), name
    assert _stored() == 0


def test_unknown_type_is_recorded_and_ignored(client, stripe_connection, rq_worker):
    body = json.dumps({"id": "evt_unknown", "object": "event", "type": "issuing_card.created",
                       "created": int(time.time()), "data": {"object": {"id": "ic_1", "object": "issuing.card"}}}).encode()
    assert _post(client, stripe_connection.id, body, _sign(body)).status_code == 200
    rq_worker()
    wait_for(lambda: (session().expire_all(), session().scalars(select(InboundWebhook.status)).one())[1] == "ignored",
             message="the unknown event to be ignored")


def test_unknown_connection_is_404(client, stripe_connection):
    assert client.post("/webhooks/stripe/999999", data=b"{}").status_code == 404
    assert client.post(f"/webhooks/braintree/{stripe_connection.id}", data=b"{}").status_code == 404

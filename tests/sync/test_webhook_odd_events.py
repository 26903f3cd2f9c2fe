"""Correctly signed but odd gateway events: a 400 with the reason (nothing stored), or stored and
failed with the reason by the drain (nothing half-written) — never a 500, never a stuck drain.

Every event is signed the vendor's way and posted through both the WSGI hot path and Flask alone.
"""
from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlencode

import pytest
from braintree.util.crypto import Crypto
from sqlalchemy import func, select

from backend.db import session, transaction
from backend.integrations.gateways.recurly.sandbox import signature_header
from backend.models import Charge, GatewayConnection, InboundWebhook, Invoice
from backend.sync import events
from tests.conftest import wait_for

from .test_webhook_drain import charge_event, statuses
from .test_webhook_hot_path import answer, paths, stored  # noqa: F401 - paths is a fixture
from .test_webhook_route import _sign
from .test_webhook_sweep import stored_without_a_drain

BT_KEYS = {"merchant_id": "odd_merchant", "public_key": "odd_public", "private_key": "odd_private"}
RECURLY_SECRET = "whsec-recurly-odd"
NOW = int(time.time())


@pytest.fixture
def connections(stripe_connection):
    """{kind: connection id} for a Stripe, a Braintree and a Recurly connection of one account."""
    with transaction() as s:
        braintree = GatewayConnection(account_id=stripe_connection.account_id, kind="braintree",
                                      name="Braintree", credentials=dict(BT_KEYS))
        recurly = GatewayConnection(account_id=stripe_connection.account_id, kind="recurly", name="Recurly",
                                    credentials={"api_key": "odd-key"}, webhook_secrets=[RECURLY_SECRET])
        s.add_all([braintree, recurly])
    return {"stripe": stripe_connection.id, "braintree": braintree.id, "recurly": recurly.id}


# --- signed the vendor's way ---------------------------------------------------------------------
def stripe(event: dict | None = None, *, raw: bytes | None = None, **changes) -> tuple[bytes, dict]:
    body = raw if raw is not None else json.dumps({**(event or stripe_charge_event()), **changes}).encode()
    return body, {"Content-Type": "application/json", "Stripe-Signature": _sign(body)}


def stripe_charge_event(**charge_changes) -> dict:
    event = json.loads(charge_event("evt_odd"))
    event["data"]["object"].update(charge_changes)
    return event


SAMPLE_XML = """<notification>
  <timestamp type="datetime">{timestamp}</timestamp>
  <kind>{kind}</kind>
  <subject><transaction>
    <id>tx_odd</id><status>settled</status><type>sale</type>
    <currency-iso-code>USD</currency-iso-code><amount>{amount}</amount>
  </transaction></subject>
</notification>"""


def braintree(*, kind="transaction_settled", amount="12.50", timestamp="2026-12-01T10:00:00Z") -> tuple[bytes, dict]:
    """bt_signature = public key | HMAC-SHA1 of bt_payload, as the SDK signs its own samples."""
    payload = base64.encodebytes(SAMPLE_XML.format(kind=kind, amount=amount, timestamp=timestamp).encode())
    signature = f"{BT_KEYS['public_key']}|{Crypto.sha1_hmac_hash(BT_KEYS['private_key'], payload)}"
    body = urlencode({"bt_signature": signature, "bt_payload": payload.decode()}).encode()
    return body, {"Content-Type": "application/x-www-form-urlencoded"}


def recurly(**changes) -> tuple[bytes, dict]:
    note = {"id": "rc_odd_1", "object_type": "subscription", "event_type": "canceled",
            "event_time": "2026-12-01T10:00:00Z", "site_id": "site1", "uuid": "abc123",
            "account_code": "acct-1", **changes}
    body = json.dumps(note).encode()
    return body, {"Content-Type": "application/json", "recurly-signature": signature_header([RECURLY_SECRET], body)}


REFUSED = {
    "stripe id over 255": ("stripe", lambda: stripe(id="evt_" + "a" * 300), "event id is 304 characters long"),
    "stripe type over 100": ("stripe", lambda: stripe(type="charge." + "x" * 120), "event type is 127 characters"),
    "stripe created 1e20": ("stripe", lambda: stripe(created=1e20), "created 1e+20 is not a Unix timestamp"),
    "stripe created abc": ("stripe", lambda: stripe(created="abc"), "created 'abc' is not a Unix timestamp"),
    "stripe amount x": ("stripe", lambda: stripe(stripe_charge_event(amount="x")), "amount 'x' is not a whole number"),
    "stripe amount 1.5": ("stripe", lambda: stripe(stripe_charge_event(amount=1.5)), "amount 1.5 is not a whole"),
    "stripe amount 1e20": ("stripe", lambda: stripe(stripe_charge_event(amount=1e20)), "amount 1e+20 is out of range"),
    "stripe currency 5": ("stripe", lambda: stripe(stripe_charge_event(currency=5)), "currency 5 is not a three-letter"),
    "stripe charge created abc": ("stripe", lambda: stripe(stripe_charge_event(created="abc")),
                                  "created 'abc' is not a Unix timestamp"),
    "stripe id a number": ("stripe", lambda: stripe(id=123), "id and type must be strings"),
    "stripe NUL in id": ("stripe", lambda: stripe(id="evt_\x00"), "control characters"),
    "stripe lone surrogate in type": ("stripe", lambda: stripe(type="charge.succeeded\ud800"), "invalid Unicode"),
    "stripe object a list": ("stripe", lambda: stripe(data={"object": [1]}), "has no data.object"),
    "stripe nested too deep": ("stripe", lambda: stripe(raw=b"[" * 100_000 + b"]" * 100_000), "not JSON"),
    "braintree amount x": ("braintree", lambda: braintree(amount="x"), "cannot be read"),
    "braintree amount 1e30": ("braintree", lambda: braintree(amount="1e30"), "out of range"),
    "braintree timestamp abc": ("braintree", lambda: braintree(timestamp="abc"), "unreadable"),
    "braintree kind over 100": ("braintree", lambda: braintree(kind="k" * 150), "event type is 150 characters"),
    "recurly id over 255": ("recurly", lambda: recurly(id="r" * 256), "event id is 256 characters long"),
    "recurly type over 100": ("recurly", lambda: recurly(event_type="x" * 120), "event type is 133 characters"),
    "recurly uuid an object": ("recurly", lambda: recurly(uuid={"a": 1}), "field uuid is not a string"),
}


def test_odd_signed_events_are_refused_with_the_reason_on_both_paths(paths, connections):
    through_hot_path, flask_alone, _ = paths
    for name, (kind, build, reason) in REFUSED.items():
        body, headers = build()
        url = f"/webhooks/{kind}/{connections[kind]}"
        hot, plain = answer(through_hot_path, url, body, headers), answer(flask_alone, url, body, headers)
        assert hot == plain, name
        assert hot[0] == 400, (name, hot)
        message = json.loads(hot[3])["message"]
        assert message.startswith("webhook rejected: ") and reason in message, (name, message)
    assert stored() == 0


def test_odd_event_times_recurly_only_notes_are_stored(paths, connections):
    """Recurly's event_time is metadata: an unreadable one is left out, the notification kept."""
    through_hot_path, flask_alone, _ = paths
    url = f"/webhooks/recurly/{connections['recurly']}"
    for n, (client, when) in enumerate([(through_hot_path, "abc"), (flask_alone, 1e20),
                                        (through_hot_path, "9999-12-31T23:59:59-05:00")]):
        body, headers = recurly(id=f"rc_time_{n}", event_time=when)
        status, _, _, content = answer(client, url, body, headers)
        assert (status, json.loads(content)["duplicate"]) == (200, False), when
    assert stored() == 3


def test_values_no_column_holds_fail_their_row_whole_and_the_drain_goes_on(client, connections, rq_worker):
    invoice = {"id": "in_odd", "object": "invoice", "customer": None, "status": "paid", "currency": "usd",
               "subtotal": 1000, "total": 1000, "amount_due": 1000, "amount_paid": 1000, "created": NOW,
               "lines": {"data": [{"id": "il_" + "x" * 300, "amount": 1000, "quantity": 1}]}}
    odd = {"id": "evt_odd_invoice", "object": "event", "type": "invoice.paid", "created": NOW,
           "data": {"object": invoice}}
    for body, headers in (stripe(odd), stripe(raw=charge_event("evt_fine"))):
        resp = client.post(f"/webhooks/stripe/{connections['stripe']}", data=body, headers=headers)
        assert resp.status_code == 200, resp.get_data()
    rq_worker()
    wait_for(lambda: statuses() == {"evt_odd_invoice": "failed", "evt_fine": "processed"},
             message="the drain to fail the odd invoice and apply the next event")
    row = session().scalars(select(InboundWebhook).where(InboundWebhook.event_id == "evt_odd_invoice")).one()
    assert row.error == "StringDataRightTruncation: value too long for type character varying(255)"
    assert session().scalar(select(func.count()).select_from(Invoice)) == 0  # not half-written
    assert session().scalar(select(Charge.external_id)) == "ch_evt_fine"


def test_a_stored_body_that_cannot_be_read_fails_with_the_reason(ctx, stripe_connection):
    """Rows stored before intake refused such bodies: the drain fails them and finishes."""
    stored_without_a_drain(stripe_connection, "evt_fine_before", age_seconds=1)
    with transaction() as s:
        body = json.dumps(stripe_charge_event(amount="x")).encode()
        s.add(InboundWebhook(account_id=stripe_connection.account_id, connection_id=stripe_connection.id,
                             event_id="evt_stored_odd", event_type="charge.succeeded", body=body,
                             headers={"Stripe-Signature": _sign(body)}, status="received", attempts=0))
    events.drain_webhooks(stripe_connection.id)  # as a worker runs it; returns normally
    assert statuses() == {"evt_fine_before": "processed", "evt_stored_odd": "failed"}
    row = session().scalars(select(InboundWebhook).where(InboundWebhook.event_id == "evt_stored_odd")).one()
    assert row.error == ("Stripe event 'evt_odd' (charge.succeeded) cannot be read: "
                         "amount 'x' is not a whole number")


def test_odd_signature_headers_and_forms_are_400_on_both_paths(paths, connections):
    through_hot_path, flask_alone, _ = paths
    body = json.dumps(stripe_charge_event()).encode()
    note = recurly()[0]
    cases = [
        ("stripe", body, {"Stripe-Signature": "t=abc,v1=00"}),
        ("stripe", body, {"Stripe-Signature": "t=" + "9" * 40 + ",v1=00"}),
        ("stripe", body, {"Stripe-Signature": "\u00e9t\u00e9"}),
        ("braintree", urlencode({"bt_signature": "nopipe", "bt_payload": "eA=="}).encode(), {}),
        ("braintree", urlencode({"bt_signature": "odd_public|00", "bt_payload": "not base64 !"}).encode(), {}),
        ("braintree", b"bt_signature=%FF%FE&bt_payload=%00", {}),
        ("recurly", note, {"recurly-signature": "9" * 40 + ",ab"}),
        ("recurly", note, {"recurly-signature": ",,,"}),
    ]
    for kind, data, headers in cases:
        url = f"/webhooks/{kind}/{connections[kind]}"
        headers = {"Content-Type": "application/json", **headers}
        hot, plain = answer(through_hot_path, url, data, headers), answer(flask_alone, url, data, headers)
        assert hot == plain and hot[0] == 400, (kind, headers, hot)
        assert json.loads(hot[3])["message"].startswith("webhook rejected: "), (kind, hot)
    assert stored() == 0

"""Recurly webhook signatures (tamper, wrong secret, stale, rotation, ms vs s) and parsing."""
from __future__ import annotations

import json
from dataclasses import replace
import time

import pytest
from flask import Flask, request

from backend.integrations.gateways.errors import WebhookVerificationError
from backend.integrations.gateways.records import (ChargeRecord, CustomerRecord, InvoiceRecord, ObjectKind,
                                                   RefundRecord, SubscriptionRecord,
                                                   SubscriptionStatus)
from backend.integrations.gateways.recurly.sandbox import signature_header
from backend.integrations.gateways.recurly.webhooks import (parse_notification, reference,
                                                            verify_signature)
from backend.integrations.gateways.sandbox_server import serve_in_thread

from .conftest import WEBHOOK_SECRET

BODY = json.dumps({"id": "ra8foq26o2dt", "object_type": "subscription", "site_id": "qc326l1hl8k9",
                   "event_type": "created", "event_time": "2022-07-26T22:01:56Z",
                   "uuid": "63ab531e1d5b1d47eaf1ef44eeb853c3"}).encode()
NOW = 1_700_000_000.0


def _headers(secrets=(WEBHOOK_SECRET,), *, at=NOW, unit="ms", body=BODY):
    stamp = int(at * 1000) if unit == "ms" else int(at)
    return {"recurly-signature": signature_header(list(secrets), body, timestamp=stamp)}


def test_valid_signature_in_milliseconds_is_accepted():
    verify_signature(_headers(), BODY, (WEBHOOK_SECRET,), now=NOW + 10)


def test_valid_signature_in_seconds_is_accepted():
    verify_signature(_headers(unit="s"), BODY, (WEBHOOK_SECRET,), now=NOW - 10)


def test_header_name_is_case_insensitive():
    headers = {"Recurly-Signature": _headers()["recurly-signature"]}
    verify_signature(headers, BODY, (WEBHOOK_SECRET,), now=NOW)


def test_werkzeug_headers_are_looked_up_in_any_case():
    from werkzeug.datastructures import EnvironHeaders

    environ = {"HTTP_RECURLY_SIGNATURE": _headers()["recurly-signature"]}
    verify_signature(EnvironHeaders(environ), BODY, (WEBHOOK_SECRET,), now=NOW)


def test_tampered_body_is_rejected():
    tampered = BODY.replace(b"created", b"expired")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_signature(_headers(), tampered, (WEBHOOK_SECRET,), now=NOW)


def test_wrong_secret_is_rejected():
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_signature(_headers(("someone-else",)), BODY, (WEBHOOK_SECRET,), now=NOW)


@pytest.mark.parametrize("unit", ["ms", "s"])
@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamps_are_rejected(unit, offset):
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_signature(_headers(unit=unit), BODY, (WEBHOOK_SECRET,), now=NOW + offset)


def test_within_tolerance_edge_is_accepted():
    verify_signature(_headers(), BODY, (WEBHOOK_SECRET,), now=NOW + 299)


def test_rotation_header_with_old_and_new_signature_is_accepted():
    header = _headers(("old-secret", WEBHOOK_SECRET))
    assert header["recurly-signature"].count(",") == 2
    verify_signature(header, BODY, (WEBHOOK_SECRET,), now=NOW)


def test_any_of_several_configured_secrets_is_accepted():
    verify_signature(_headers(("new-secret",)), BODY, ("old-secret", "new-secret"), now=NOW)


@pytest.mark.parametrize("headers, message", [
    ({}, "missing recurly-signature"),
    ({"recurly-signature": "abc,def"}, "malformed"),
    ({"recurly-signature": "1700000000000"}, "malformed"),
])
def test_missing_or_malformed_header_is_rejected(headers, message):
    with pytest.raises(WebhookVerificationError, match=message):
        verify_signature(headers, BODY, (WEBHOOK_SECRET,), now=NOW)


def test_no_configured_secret_is_rejected():
    with pytest.raises(WebhookVerificationError, match="no Recurly webhook secret"):
        verify_signature(_headers(), BODY, (), now=NOW)


def test_notification_fields_and_reference():
    note = parse_notification(BODY)
    assert (note.id, note.type, note.uuid) == ("ra8foq26o2dt", "subscription.created",
                                               "63ab531e1d5b1d47eaf1ef44eeb853c3")
    assert note.event_time.isoformat() == "2022-07-26T22:01:56+00:00"
    assert reference(note) == ("subscription", "uuid-63ab531e1d5b1d47eaf1ef44eeb853c3")
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        parse_notification(b"<xml/>")


def _signed(payload: dict) -> tuple[dict, bytes]:
    body = json.dumps(payload).encode()
    return {"recurly-signature": signature_header([WEBHOOK_SECRET], body)}, body


def test_parse_names_the_subscription_and_hydrate_fetches_it(adapter, sdk, make_account, sandbox):
    make_account("wh")
    sub = sdk.create_subscription({"plan_code": "basic", "currency": "USD",
                                   "account": {"code": "wh"}})
    headers, body = _signed({"id": "evt1", "object_type": "subscription",
                             "event_type": "created", "event_time": "2024-01-01T00:00:00Z",
                             "uuid": sub.uuid, "account_code": "wh"})
    before = len(sandbox.requests)
    event = adapter.parse_webhook(headers=headers, body=body)
    assert len(sandbox.requests) == before  # parsing does no I/O (the request path stays fast)
    assert (event.event_id, event.type, event.known) == ("evt1", "subscription.created", True)
    assert event.records == () and event.refetch == ((ObjectKind.SUBSCRIPTION, f"uuid-{sub.uuid}"),)
    records = adapter.hydrate_event(event)
    assert len(records) == 1 and isinstance(records[0], SubscriptionRecord)
    assert records[0].external_id == sub.id
    assert records[0].status is SubscriptionStatus.ACTIVE


def test_unknown_object_types_are_recorded_without_records(adapter):
    headers, body = _signed({"id": "evt2", "object_type": "gift_card", "event_type": "created",
                             "uuid": "abc"})
    event = adapter.parse_webhook(headers=headers, body=body)
    assert (event.known, event.records) == (False, ())


def test_vanished_object_gives_an_event_without_records(adapter):
    headers, body = _signed({"id": "evt3", "object_type": "payment", "event_type": "succeeded",
                             "uuid": "0" * 32})
    event = adapter.parse_webhook(headers=headers, body=body)
    assert (event.type, event.known) == ("payment.succeeded", True)
    assert adapter.hydrate_event(event) == ()


def test_parse_webhook_rejects_a_bad_signature_before_fetching(adapter, sandbox):
    headers, body = _signed({"id": "evt4", "object_type": "account", "account_code": "x"})
    before = len(sandbox.requests)
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=headers, body=body + b" ")
    assert len(sandbox.requests) == before


@pytest.fixture
def receiver(adapter):
    """A loopback endpoint that verifies and parses what the sandbox sends, like the product."""
    events, errors = [], []
    app = Flask("recurly-webhook-receiver")

    @app.post("/hooks/recurly")
    def hook():
        try:
            event = adapter.parse_webhook(headers=request.headers, body=request.get_data())
            events.append(replace(event, records=adapter.hydrate_event(event)))
        except WebhookVerificationError as exc:
            errors.append(exc.message)
            return "bad signature", 400
        return "", 204

    server = serve_in_thread(app)
    yield server.url + "/hooks/recurly", events, errors
    server.stop()


def test_sandbox_delivers_signed_webhooks_that_map_to_records(config, sandbox, receiver, sdk,
                                                              make_account):
    from backend.integrations.gateways import build_adapter
    url, events, errors = receiver
    sandbox.add_webhook_endpoint(url, WEBHOOK_SECRET)
    make_account("hook")
    purchase = sdk.create_purchase({"currency": "USD", "account": {"code": "hook"},
                                    "line_items": [{"unit_amount": 20.0, "currency": "USD"}]})
    build_adapter("recurly", config).refund(
        charge_id=purchase.charge_invoice.transactions[0].id, amount=500, currency="USD",
        reason=None, note=None, idempotency_key="hook-refund")

    assert errors == []
    assert all(d["status"] == 204 for d in sandbox.deliveries)
    by_type = {e.type: e for e in events}
    assert {"account.created", "charge_invoice.paid", "payment.succeeded", "payment.refunded",
            "credit_invoice.created"} <= set(by_type)
    assert isinstance(by_type["account.created"].records[0], CustomerRecord)
    assert isinstance(by_type["payment.succeeded"].records[0], ChargeRecord)
    refund = by_type["payment.refunded"].records[0]
    assert isinstance(refund, RefundRecord) and refund.amount == 500
    assert isinstance(by_type["charge_invoice.paid"].records[0], InvoiceRecord)
    assert len({e.event_id for e in events}) == len(events)


def test_sandbox_webhooks_signed_with_another_secret_are_refused(sandbox, receiver,
                                                                 make_account):
    url, events, errors = receiver
    sandbox.add_webhook_endpoint(url, "not-our-secret")
    make_account("spoof")
    assert events == [] and errors and all("does not match" in e for e in errors)
    assert {d["status"] for d in sandbox.deliveries} == {400}


def test_seconds_timestamps_from_the_sandbox_verify_too(sandbox, receiver, make_account):
    url, events, errors = receiver
    sandbox.store.webhook_timestamp_unit = "s"
    sandbox.add_webhook_endpoint(url, WEBHOOK_SECRET)
    make_account("secs")
    assert errors == [] and [e.type for e in events] == ["account.created"]
    stamp = sandbox.deliveries[0]["signature"].split(",")[0]
    assert len(stamp) == 10 and abs(int(stamp) - time.time()) < 60  # seconds, not ms


@pytest.mark.parametrize("field, value", [("uuid", {"a": 1}), ("account_code", 7), ("object_type", ["x"]),
                                          ("id", True)])
def test_fields_that_name_things_must_be_strings(adapter, field, value):
    headers, body = _signed({"id": "evt3", "object_type": "subscription", "event_type": "created",
                             "uuid": "abc", "account_code": "wh", field: value})
    with pytest.raises(WebhookVerificationError, match=f"field {field} is not a string"):
        adapter.parse_webhook(headers=headers, body=body)


@pytest.mark.parametrize("when", ["abc", 1e20, "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_an_unreadable_event_time_is_left_out(adapter, when):
    headers, body = _signed({"id": 42, "object_type": "subscription", "event_type": "created",
                             "uuid": "abc", "event_time": when})
    event = adapter.parse_webhook(headers=headers, body=body)
    assert (event.event_id, event.created_at, event.known) == ("42", None, True)

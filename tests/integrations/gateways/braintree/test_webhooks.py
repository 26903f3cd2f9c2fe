"""Webhooks signed the Braintree way: SDK sample notifications and sandbox deliveries."""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import braintree
import pytest

from backend.integrations.gateways.braintree.client import environment_for
from backend.integrations.gateways.errors import WebhookVerificationError
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, DisputeRecord, DisputeStatus, ObjectKind, RefundRecord,
    SubscriptionRecord, SubscriptionStatus,
)
from backend.integrations.gateways.sandbox_server import serve_in_thread

Kind = braintree.WebhookNotification.Kind


def form(sample: dict) -> bytes:
    payload = sample["bt_payload"]
    payload = payload.decode() if isinstance(payload, bytes) else payload
    return urlencode({"bt_signature": sample["bt_signature"], "bt_payload": payload}).encode()


def sdk_with_key(sandbox, private_key):
    return braintree.BraintreeGateway(braintree.Configuration(
        environment_for(sandbox.gateway_config()), merchant_id=sandbox.merchant_id,
        public_key=sandbox.public_key, private_key=private_key))


def parse(adapter, body: bytes, **kwargs):
    return adapter.parse_webhook(headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 body=body, **kwargs)


def test_sample_subscription_canceled(adapter, sdk):
    sample = sdk.webhook_testing.sample_notification(Kind.SubscriptionCanceled, "sub_1")
    event = parse(adapter, form(sample))
    assert (event.type, event.known) == ("subscription_canceled", True)
    assert event.event_id == hashlib.sha256(sample["bt_payload"]).hexdigest()
    assert event.created_at.tzinfo is not None
    (record,) = event.records
    assert isinstance(record, SubscriptionRecord)
    assert (record.external_id, record.status) == ("sub_1", SubscriptionStatus.CANCELED)
    assert event.refetch == ((ObjectKind.SUBSCRIPTION, "sub_1"),)


def test_stored_bodies_parse_without_verifying(adapter, sdk):
    sample = sdk.webhook_testing.sample_notification(Kind.DisputeWon, "dp_7")
    stored = form({**sample, "bt_signature": "not|checked"})
    with pytest.raises(WebhookVerificationError):
        parse(adapter, stored)
    event = parse(adapter, stored, verify=False)
    assert (event.type, event.records[0].status) == ("dispute_won", DisputeStatus.WON)


def test_sample_transaction_settled_and_dispute(adapter, sdk):
    settled = parse(adapter, form(sdk.webhook_testing.sample_notification(
        Kind.TransactionSettled, "tx_9")))
    (charge,) = settled.records
    assert isinstance(charge, ChargeRecord)
    assert (charge.external_id, charge.status, charge.amount) == ("tx_9", ChargeStatus.SUCCEEDED,
                                                                  10000)
    opened = parse(adapter, form(sdk.webhook_testing.sample_notification(
        Kind.DisputeOpened, "dp_1")))
    (dispute,) = opened.records
    assert isinstance(dispute, DisputeRecord)
    assert (dispute.external_id, dispute.status, dispute.amount) == (
        "dp_1", DisputeStatus.NEEDS_RESPONSE, 10000)


def test_check_and_other_kinds_are_recorded_but_not_known(adapter, sdk):
    for kind in (Kind.Check, Kind.PartnerMerchantConnected):
        event = parse(adapter, form(sdk.webhook_testing.sample_notification(kind, "x_1")))
        assert (event.known, event.records) == (False, ())


def test_tampered_payload_is_refused(adapter, sdk):
    sample = sdk.webhook_testing.sample_notification(Kind.SubscriptionCanceled, "sub_1")
    xml = base64.decodebytes(sample["bt_payload"]).replace(b"sub_1", b"sub_2")
    forged = {**sample, "bt_payload": base64.encodebytes(xml)}
    with pytest.raises(WebhookVerificationError, match="signature does not match"):
        parse(adapter, form(forged))


def test_signature_made_with_another_private_key_is_refused(adapter, sandbox):
    sample = sdk_with_key(sandbox, "someone_elses_key").webhook_testing.sample_notification(
        Kind.SubscriptionCanceled, "sub_1")
    with pytest.raises(WebhookVerificationError):
        parse(adapter, form(sample))


@pytest.mark.parametrize("body", [b"", b"bt_signature=abc", b"bt_payload=abc", b"\xff\xfe"])
def test_missing_fields_are_refused(adapter, body):
    with pytest.raises(WebhookVerificationError):
        parse(adapter, body)


@pytest.fixture
def receiver():
    """A loopback endpoint that keeps every POSTed body."""
    bodies: list[bytes] = []

    def app(environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        bodies.append(environ["wsgi.input"].read(size))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    server = serve_in_thread(app)
    yield server.url, bodies
    server.stop()


def test_sandbox_delivers_signed_settlement_and_cancel(adapter, sandbox, make_sale,
                                                       make_customer, receiver):
    url, bodies = receiver
    sandbox.add_webhook_endpoint(f"{url}/webhooks/braintree")
    sale = make_sale("40.00", submit=True)
    sandbox.settle(sale.id)
    sub = adapter.create_subscription(customer_id=make_customer().id, price_id="basic_monthly",
                                      quantity=1, trial_days=None, coupon=None,
                                      idempotency_key="run-1")
    adapter.cancel_subscription(subscription_id=sub.external_id, at_period_end=False,
                                prorate=False, idempotency_key="run-2")
    events = [parse(adapter, body) for body in bodies]
    assert [e.type for e in events] == ["transaction_settled", "subscription_went_active",
                                        "subscription_canceled"]
    charge = events[0].records[0]
    assert (charge.external_id, charge.raw_status, charge.amount) == (sale.id, "settled", 4000)
    canceled = events[2].records[0]
    assert (canceled.status, canceled.customer_external_id, canceled.currency) == (
        SubscriptionStatus.CANCELED, sub.customer_external_id, "USD")
    assert events[2].refetch == ((ObjectKind.SUBSCRIPTION, sub.external_id),)
    assert adapter.fetch(*events[2].refetch[0]).plan_name == "Basic monthly"
    assert len({e.event_id for e in events}) == 3
    assert all(d["status"] == 200 for d in sandbox.deliveries)


def test_parsing_does_no_network_io(adapter, sandbox, make_customer, make_sale, receiver):
    url, bodies = receiver
    sub = adapter.create_subscription(customer_id=make_customer().id, price_id="pro_monthly",
                                      quantity=1, trial_days=None, coupon=None,
                                      idempotency_key="run-1")
    sale = make_sale("40.00", submit=True)
    sandbox.settle(sale.id)
    adapter.refund(charge_id=sale.id, amount=500, currency="USD", reason=None, note=None,
                   idempotency_key="ref-1")
    sandbox.add_webhook_endpoint(url)
    sandbox.notify("subscription_charged_successfully", "subscription", sub.external_id)
    sandbox.notify("transaction_disbursed", "transaction", sale.id)
    sandbox.fail_next(100, status=500)  # from here any API call raises GatewayUnavailable
    events = [parse(adapter, body) for body in bodies]
    assert events[0].records[0].discount_codes == ()
    assert events[0].records[0].amount == 3000
    assert events[1].refetch == ((ObjectKind.CHARGE, sale.id),)


def test_settled_refund_arrives_as_a_refund(adapter, sandbox, make_sale, receiver):
    url, bodies = receiver
    sale = make_sale("40.00", submit=True)
    sandbox.settle(sale.id)
    made = adapter.refund(charge_id=sale.id, amount=1500, currency="USD", reason=None, note=None,
                          idempotency_key="ref-1")
    sandbox.add_webhook_endpoint(url)
    sandbox.settle(made.refund.external_id)
    (record,) = parse(adapter, bodies[0]).records
    assert isinstance(record, RefundRecord)
    assert (record.charge_external_id, record.amount, record.raw_status) == (
        sale.id, 1500, "settled")


def test_a_sale_with_refunds_is_refetched_for_its_total(adapter, sandbox, make_sale, receiver):
    url, bodies = receiver
    sale = make_sale("40.00")
    adapter.capture(charge_id=sale.id, amount=None, idempotency_key="cap-1")
    sandbox.add_webhook_endpoint(url)
    sandbox.settle(sale.id)
    adapter.refund(charge_id=sale.id, amount=500, currency="USD", reason=None, note=None,
                   idempotency_key="ref-1")
    sandbox.notify("transaction_disbursed", "transaction", sale.id)
    settled, disbursed = (parse(adapter, body) for body in bodies)
    assert settled.records[0].amount_refunded == 0 and settled.refetch == ()
    assert (disbursed.records, disbursed.refetch) == ((), ((ObjectKind.CHARGE, sale.id),))
    assert adapter.fetch(*disbursed.refetch[0]).amount_refunded == 500


def test_dispute_notification_from_the_sandbox(adapter, sandbox, make_sale, receiver):
    url, bodies = receiver
    sandbox.add_webhook_endpoint(url)
    sale = make_sale("40.00", submit=True)
    sandbox.open_dispute(sale.id, amount="40.00", reason="fraud")
    (dispute,) = parse(adapter, bodies[0]).records
    assert (dispute.charge_external_id, dispute.amount, dispute.reason) == (sale.id, 4000, "fraud")


def resigned(sandbox, sample: dict, old: bytes, new: bytes) -> bytes:
    """The sample's XML with `old` replaced, signed again the way the SDK signs its samples."""
    from braintree.util.crypto import Crypto

    payload = base64.encodebytes(base64.decodebytes(sample["bt_payload"]).replace(old, new))
    signature = f"{sandbox.public_key}|{Crypto.sha1_hmac_hash(sandbox.private_key, payload)}"
    return form({"bt_signature": signature, "bt_payload": payload})


@pytest.mark.parametrize("old, new, reason", [
    (b"<amount>100.00</amount>", b"<amount>x</amount>", "cannot be read"),
    (b"<amount>100.00</amount>", b"<amount>1e30</amount>", r"amount 1E\+30 is out of range"),
    (b"<amount>100.00</amount>", b"<amount>1.005</amount>", "more decimals than USD allows"),
])
def test_odd_amounts_in_a_signed_notification_are_refused(adapter, sdk, sandbox, old, new, reason):
    sample = sdk.webhook_testing.sample_notification(Kind.TransactionSettled, "tx_odd")
    assert old in base64.decodebytes(sample["bt_payload"])
    with pytest.raises(WebhookVerificationError, match=reason) as caught:
        parse(adapter, resigned(sandbox, sample, old, new))
    assert caught.value.code == "malformed_body"


def test_an_odd_timestamp_in_a_signed_notification_is_refused(adapter, sdk, sandbox):
    sample = sdk.webhook_testing.sample_notification(Kind.SubscriptionCanceled, "sub_1")
    xml = base64.decodebytes(sample["bt_payload"])
    start = xml.index(b'<timestamp type="datetime">') + len(b'<timestamp type="datetime">')
    stamp = xml[start:xml.index(b"</timestamp>")]
    with pytest.raises(WebhookVerificationError, match="unreadable"):
        parse(adapter, resigned(sandbox, sample, stamp, b"abc"))

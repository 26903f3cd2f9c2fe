"""PayPal webhooks verified offline: SHA256withRSA over id|time|webhook id|crc32(body), the certificate
from PAYPAL-CERT-URL only from PayPal hosts (or the connection's own loopback sandbox), its chain
checked, its key cached; deliveries into the real intake, drained by a real RQ worker into the mirror."""
from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from backend.integrations.gateways import build_adapter
from backend.integrations.gateways.errors import WebhookVerificationError
from backend.integrations.gateways.paypal import webhooks
from backend.integrations.gateways.paypal.sandbox.signing import make_keys
from backend.integrations.gateways.records import ChargeRecord, ObjectKind, RefundRecord
from backend.integrations.gateways.sandbox_server import serve_in_thread
from tests.conftest import wait_for


def delivery(sandbox, capture_id, **kwargs):
    return sandbox.signed_delivery("PAYMENT.CAPTURE.COMPLETED", "capture", capture_id, **kwargs)


def test_the_signature_covers_id_time_webhook_id_and_the_unsigned_crc32(sandbox):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    headers, body = delivery(sandbox, capture)
    leaf = x509.load_pem_x509_certificates(sandbox.keys.chain_pem)[0]
    crc = zlib.crc32(body) & 0xFFFFFFFF
    message = f"{headers['PAYPAL-TRANSMISSION-ID']}|{headers['PAYPAL-TRANSMISSION-TIME']}|{sandbox.webhook_id}|{crc}"
    leaf.public_key().verify(base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]), message.encode(),
                             padding.PKCS1v15(), hashes.SHA256())  # raises if it does not verify
    assert str(crc).isdigit() and crc >= 0


def test_a_signed_delivery_verifies_and_names_the_charge(sandbox, adapter):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    sandbox.add_refund(capture, "5.00")
    (refund_id,) = [r["id"] for r in sandbox.objects("refunds")]
    headers, body = sandbox.signed_delivery("PAYMENT.CAPTURE.REFUNDED", "refund", refund_id)
    event = adapter.parse_webhook(headers=headers, body=body)
    assert (event.type, event.known) == ("PAYMENT.CAPTURE.REFUNDED", True)
    assert event.refetch == ((ObjectKind.REFUND, refund_id), (ObjectKind.CHARGE, capture))
    records = adapter.hydrate_event(event)
    assert [(r.external_id, r.amount) for r in records if isinstance(r, RefundRecord)] == [(refund_id, 500)]
    assert [(r.external_id, r.amount_refunded) for r in records if isinstance(r, ChargeRecord)] == [(capture, 500)]


@pytest.mark.parametrize("change", ["body", "webhook_id", "signature", "missing_header", "algorithm"])
def test_unverifiable_deliveries_are_refused(sandbox, adapter, change):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    headers, body = delivery(sandbox, capture, webhook_id="WH-OTHER" if change == "webhook_id" else None)
    if change == "body":
        body = body.replace(b'"20.00"', b'"2000.00"')
    if change == "signature":
        headers["PAYPAL-TRANSMISSION-SIG"] = base64.b64encode(b"x" * 256).decode()
    if change == "missing_header":
        del headers["PAYPAL-TRANSMISSION-ID"]
    if change == "algorithm":
        headers["PAYPAL-AUTH-ALGO"] = "SHA1withRSA"
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers=headers, body=body)


@pytest.mark.parametrize("url", [
    "http://api.paypal.com/v1/notifications/certs/CERT-1",  # not https
    "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
    "https://evilpaypal.com/v1/notifications/certs/CERT-1",
    "https://user@api.paypal.com/v1/notifications/certs/CERT-1",
    "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
    "https://api.paypal.com/v1/other/CERT-1",
])
def test_only_https_paypal_certificate_urls_are_accepted(url):
    with pytest.raises(WebhookVerificationError, match="not an https PayPal certificate URL"):
        webhooks.cert_host_name(url, api_base=None)


def test_paypal_hosts_are_accepted_for_their_own_names():
    assert webhooks.cert_host_name("https://api.paypal.com/v1/notifications/certs/CERT-1", None) == webhooks.LIVE_NAME
    assert webhooks.cert_host_name("https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
                                   None) == webhooks.SANDBOX_NAME


def test_the_sandbox_certificate_is_trusted_only_by_a_connection_pointed_at_it(sandbox):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    headers, body = delivery(sandbox, capture)
    production = build_adapter("paypal", sandbox.gateway_config(api_base=None))
    with pytest.raises(WebhookVerificationError, match="not an https PayPal"):
        production.parse_webhook(headers=headers, body=body)
    elsewhere = dict(headers, **{"PAYPAL-CERT-URL": headers["PAYPAL-CERT-URL"].replace(sandbox.url, "http://127.0.0.1:9")})
    with pytest.raises(WebhookVerificationError):
        build_adapter("paypal", sandbox.gateway_config()).parse_webhook(headers=elsewhere, body=body)


def test_a_chain_from_another_root_is_not_trusted(running_sandbox):
    from backend.integrations.gateways.paypal.sandbox import PayPalSandbox

    impostor = PayPalSandbox()
    impostor.start()
    try:
        keys = impostor.keys  # it signs with its own leaf, but its root endpoint serves an unrelated CA
        impostor.app.extensions["paypal_sandbox_keys"] = type(keys)(keys.key, keys.chain_pem, make_keys().ca_pem)
        capture = impostor.add_capture("ada@example.com", "20.00")
        headers, body = delivery(impostor, capture)
        with pytest.raises(WebhookVerificationError, match="not trusted"):
            build_adapter("paypal", impostor.gateway_config()).parse_webhook(headers=headers, body=body)
    finally:
        impostor.stop()


def test_the_certificate_is_fetched_once_and_cached(sandbox, adapter):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    for _ in range(3):
        headers, body = delivery(sandbox, capture)
        build_adapter("paypal", sandbox.gateway_config()).parse_webhook(headers=headers, body=body)
    forged_headers, forged_body = delivery(sandbox, capture, webhook_id="WH-OTHER")
    for _ in range(3):  # forgeries do not make us refetch the certificate each time
        with pytest.raises(WebhookVerificationError):
            adapter.parse_webhook(headers=forged_headers, body=forged_body)
    fetches = [r for r in sandbox.requests if r["path"].startswith("/v1/notifications/certs/")]
    assert len(fetches) <= 2  # the chain and its root at most once for this sandbox's URL


def test_a_replaced_certificate_at_the_same_url_is_refetched(sandbox, adapter, monkeypatch):
    from backend.integrations.gateways.paypal.sandbox import PayPalSandbox

    monkeypatch.setattr(webhooks, "REFETCH_AFTER", timedelta(0))  # normally at most every 5 minutes

    capture = sandbox.add_capture("ada@example.com", "20.00")
    headers, body = delivery(sandbox, capture)
    adapter.parse_webhook(headers=headers, body=body)  # caches this sandbox's key under its URL
    replacement = PayPalSandbox()
    sandbox.keys = replacement.keys  # same URL, new certificate (as after a rotation)
    sandbox.app.extensions["paypal_sandbox_keys"] = replacement.keys
    headers, body = delivery(sandbox, capture)
    assert adapter.parse_webhook(headers=headers, body=body).event_id == json.loads(body)["id"]
    headers, body = delivery(sandbox, capture, webhook_id="WH-OTHER")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        adapter.parse_webhook(headers=headers, body=body)


def test_the_verify_api_option_asks_paypal_instead_of_fetching_the_certificate(sandbox):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    creds = dict(sandbox.credentials(), webhook_verification="api")
    adapter = build_adapter("paypal", sandbox.gateway_config(credentials=creds))
    adapter.fetch(ObjectKind.CHARGE, capture)  # a valid token first (the reset revoked earlier ones)
    seen = len(sandbox.requests)
    headers, body = delivery(sandbox, capture)
    assert adapter.parse_webhook(headers=headers, body=body).event_id == json.loads(body)["id"]
    headers, body = delivery(sandbox, capture, webhook_id="WH-OTHER")
    with pytest.raises(WebhookVerificationError, match="FAILURE"):
        adapter.parse_webhook(headers=headers, body=body)
    paths = [r["path"] for r in sandbox.requests[seen:]]
    assert paths == ["/v1/notifications/verify-webhook-signature"] * 2
    assert not any(p.startswith("/v1/notifications/certs/") for p in paths)
    with pytest.raises(ValueError, match="offline or api"):
        build_adapter("paypal", sandbox.gateway_config(credentials=dict(creds, webhook_verification="maybe")))


def test_stale_deliveries_are_refused_but_stored_ones_parse(sandbox, adapter):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    old = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers, body = delivery(sandbox, capture, transmission_time=old)
    with pytest.raises(WebhookVerificationError, match="stale"):
        adapter.parse_webhook(headers=headers, body=body)
    assert adapter.parse_webhook(headers={}, body=body, verify=False).event_id == json.loads(body)["id"]


@pytest.mark.parametrize("body", [b"", b"[]", b'{"id": 5}', b"\xff\xfe", b"{" * 5000])
def test_malformed_bodies_are_refused_not_crashed_on(adapter, body):
    with pytest.raises(WebhookVerificationError):
        adapter.parse_webhook(headers={}, body=body, verify=False)


def test_unknown_event_types_are_data(adapter):
    event = adapter.parse_webhook(headers={}, body=json.dumps({"id": "WH-1", "event_type": "VAULT.PAYMENT-TOKEN.CREATED",
                                                               "resource": {"id": "x"}}).encode(), verify=False)
    assert (event.known, event.refetch) == (False, ())


def test_a_connection_without_a_webhook_id_cannot_verify(sandbox):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    headers, body = delivery(sandbox, capture)
    creds = {k: v for k, v in sandbox.credentials().items() if k != "webhook_id"}
    with pytest.raises(WebhookVerificationError, match="webhook id"):
        build_adapter("paypal", sandbox.gateway_config(credentials=creds)).parse_webhook(headers=headers, body=body)


# --- into the product ------------------------------------------------------------------------------
@pytest.fixture
def live_app(app):
    server = serve_in_thread(app)
    yield server.url
    server.stop()


@pytest.fixture
def pp_connection(ctx, account, sandbox):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="paypal", name="PayPal",
                                 credentials=sandbox.credentials(), api_base=sandbox.url)
        s.add(conn)
    return conn


def test_sandbox_deliveries_reach_the_mirror_through_the_intake(sandbox, live_app, pp_connection, rq_worker):
    from backend.db import session
    from backend.models import Charge, Refund

    sandbox.add_webhook_endpoint(f"{live_app}/webhooks/paypal/{pp_connection.id}")
    capture = sandbox.add_capture("ada@example.com", "25.00")
    sandbox.add_refund(capture, "5.00")
    assert [(d["event_type"], d["status"]) for d in sandbox.deliveries] == [
        ("PAYMENT.CAPTURE.COMPLETED", 200), ("PAYMENT.CAPTURE.REFUNDED", 200)]
    rq_worker()

    def mirrored():
        session().expire_all()
        charge = session().scalars(select(Charge).where(Charge.external_id == capture)).one_or_none()
        return charge if charge is not None and charge.amount_refunded_minor == 500 else None
    charge = wait_for(mirrored, message="the drained webhooks to mirror the refunded capture")
    assert charge.customer_id is not None and charge.amount_minor == 2500
    assert session().scalars(select(Refund).where(Refund.charge_id == charge.id)).one().amount_minor == 500


def test_the_intake_refuses_a_forged_delivery_with_a_400(client, sandbox, pp_connection):
    capture = sandbox.add_capture("ada@example.com", "25.00")
    headers, body = delivery(sandbox, capture, webhook_id="WH-SOMEONE-ELSE")
    response = client.post(f"/webhooks/paypal/{pp_connection.id}", data=body, headers=headers)
    assert response.status_code == 400 and "signature does not match" in response.get_json()["message"]

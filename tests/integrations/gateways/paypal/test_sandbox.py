"""The PayPal sandbox's own rules over plain HTTP: OAuth2, error shape, refund limits, capture once,
PayPal-Request-Id replay, subscription cancel reasons, invoice states, transaction-search windows."""
from __future__ import annotations

import pytest
import requests


@pytest.fixture
def api(sandbox):
    token = requests.post(f"{sandbox.url}/v1/oauth2/token", auth=(sandbox.store.client_id, sandbox.store.client_secret),
                          data={"grant_type": "client_credentials"}, timeout=5).json()["access_token"]

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return requests.request(method, sandbox.url + path, headers=headers, timeout=5, **kwargs)
    return call


def test_token_needs_the_app_credentials_and_calls_need_the_token(sandbox):
    bad = requests.post(f"{sandbox.url}/v1/oauth2/token", auth=("nope", "nope"),
                        data={"grant_type": "client_credentials"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    anonymous = requests.get(f"{sandbox.url}/v2/checkout/orders/X", timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["name"] == "AUTHENTICATION_FAILURE"


def test_errors_have_the_paypal_shape(api):
    answer = api("GET", "/v2/payments/captures/NOPE")
    assert answer.status_code == 404
    assert set(answer.json()) == {"name", "message", "debug_id", "details"}
    assert answer.json()["details"][0]["issue"] == "INVALID_RESOURCE_ID"
    malformed = api("POST", "/v2/checkout/orders", data=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["details"][0]["issue"] == "MALFORMED_REQUEST_JSON"


def test_refunds_never_exceed_what_is_left_and_the_exponent_is_enforced(sandbox, api):
    capture = sandbox.add_capture("ada@example.com", "10.00")
    first = api("POST", f"/v2/payments/captures/{capture}/refund", json={"amount": {"currency_code": "USD", "value": "7.00"}})
    assert first.status_code == 201 and first.json()["status"] == "COMPLETED"
    over = api("POST", f"/v2/payments/captures/{capture}/refund", json={"amount": {"currency_code": "USD", "value": "3.01"}})
    assert (over.status_code, over.json()["details"][0]["issue"]) == (422, "REFUND_AMOUNT_EXCEEDED")
    precise = api("POST", f"/v2/payments/captures/{capture}/refund", json={"amount": {"currency_code": "USD", "value": "1.001"}})
    assert (precise.status_code, precise.json()["details"][0]["issue"]) == (422, "DECIMAL_PRECISION")
    rest = api("POST", f"/v2/payments/captures/{capture}/refund", json={})
    assert rest.json()["amount"] == {"currency_code": "USD", "value": "3.00"}
    done = api("POST", f"/v2/payments/captures/{capture}/refund", json={})
    assert (done.status_code, done.json()["details"][0]["issue"]) == (422, "CAPTURE_FULLY_REFUNDED")
    assert api("GET", f"/v2/payments/captures/{capture}").json()["status"] == "REFUNDED"


def test_a_request_id_replays_the_first_answer_and_refuses_another_body(sandbox, api):
    capture = sandbox.add_capture("ada@example.com", "10.00")
    body = {"amount": {"currency_code": "USD", "value": "2.00"}}
    headers = {"PayPal-Request-Id": "run-1"}
    first = api("POST", f"/v2/payments/captures/{capture}/refund", json=body, headers=headers)
    again = api("POST", f"/v2/payments/captures/{capture}/refund", json=body, headers=headers)
    assert first.json()["id"] == again.json()["id"] and len(sandbox.objects("refunds")) == 1
    other = api("POST", f"/v2/payments/captures/{capture}/refund", json={"amount": {"currency_code": "USD", "value": "3.00"}},
                headers=headers)
    assert (other.status_code, other.json()["details"][0]["issue"]) == (422, "PAYPAL_REQUEST_ID_PREVIOUSLY_USED")


def test_an_authorization_is_captured_once_and_voided_only_before(sandbox, api):
    auth = sandbox.add_authorization("ada@example.com", "50.00")
    captured = api("POST", f"/v2/payments/authorizations/{auth}/capture",
                   json={"amount": {"currency_code": "USD", "value": "30.00"}, "final_capture": True})
    assert captured.status_code == 201 and captured.json()["amount"]["value"] == "30.00"
    again = api("POST", f"/v2/payments/authorizations/{auth}/capture", json={})
    assert again.json()["details"][0]["issue"] == "AUTHORIZATION_ALREADY_CAPTURED"
    void = api("POST", f"/v2/payments/authorizations/{auth}/void")
    assert (void.status_code, void.json()["details"][0]["issue"]) == (422, "PREVIOUSLY_CAPTURED")
    other = sandbox.add_authorization("ada@example.com", "5.00")
    assert api("POST", f"/v2/payments/authorizations/{other}/void").status_code == 204
    late = api("POST", f"/v2/payments/authorizations/{other}/capture", json={})
    assert late.json()["details"][0]["issue"] == "AUTHORIZATION_VOIDED"


def test_orders_are_captured_only_after_the_buyer_approved(sandbox, api):
    created = api("POST", "/v2/checkout/orders", json={"intent": "CAPTURE", "purchase_units": [
        {"amount": {"currency_code": "JPY", "value": "500"}}]}).json()
    early = api("POST", f"/v2/checkout/orders/{created['id']}/capture")
    assert early.json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    sandbox.store.approve(created["id"], "taro@example.jp")
    done = api("POST", f"/v2/checkout/orders/{created['id']}/capture").json()
    assert done["status"] == "COMPLETED"
    assert done["purchase_units"][0]["payments"]["captures"][0]["amount"] == {"currency_code": "JPY", "value": "500"}


def test_cancelling_a_subscription_needs_a_reason_and_a_live_subscription(sandbox, api):
    sub = sandbox.add_subscription("grace@example.com")
    missing = api("POST", f"/v1/billing/subscriptions/{sub}/cancel", json={})
    assert missing.status_code == 400
    assert api("POST", f"/v1/billing/subscriptions/{sub}/cancel", json={"reason": "Too expensive"}).status_code == 204
    fetched = api("GET", f"/v1/billing/subscriptions/{sub}").json()
    assert (fetched["status"], fetched["status_change_note"]) == ("CANCELLED", "Too expensive")
    twice = api("POST", f"/v1/billing/subscriptions/{sub}/cancel", json={"reason": "again"})
    assert twice.json()["details"][0]["issue"] == "SUBSCRIPTION_STATUS_INVALID"


def test_invoices_are_sent_from_draft_and_reminded_when_unpaid(sandbox, api):
    invoice = sandbox.add_invoice("ada@example.com")
    early = api("POST", f"/v2/invoicing/invoices/{invoice}/remind", json={})
    assert early.json()["details"][0]["issue"] == "CANT_REMIND_INVOICE"
    assert api("POST", f"/v2/invoicing/invoices/{invoice}/send", json={"send_to_recipient": True}).status_code == 200
    again = api("POST", f"/v2/invoicing/invoices/{invoice}/send", json={})
    assert again.json()["details"][0]["issue"] == "CANT_SEND_NON_DRAFT_INVOICE"
    assert api("POST", f"/v2/invoicing/invoices/{invoice}/remind", json={}).status_code == 204
    assert [e["kind"] for e in sandbox.emails] == ["invoice", "reminder"]


def test_transaction_search_takes_windows_of_at_most_31_days(sandbox, api):
    sandbox.add_capture("ada@example.com", "10.00")
    too_long = api("GET", "/v1/reporting/transactions",
                   params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-02-01T00:00:01Z"})
    assert too_long.status_code == 400 and too_long.json()["details"][0]["issue"] == "INVALID_DATE_RANGE"
    no_zone = api("GET", "/v1/reporting/transactions",
                  params={"start_date": "2026-01-01T00:00:00", "end_date": "2026-01-02T00:00:00"})
    assert no_zone.status_code == 400
    assert api("GET", "/v1/reporting/transactions", params={"start_date": "2026-01-01T00:00:00Z"}).status_code == 400

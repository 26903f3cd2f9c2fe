"""The sandbox enforces WooCommerce's rules, spoken to through the real `woocommerce` SDK."""
from __future__ import annotations

import requests
from woocommerce import API
from woocommerce.oauth import OAuth

from backend.integrations.gateways.woocommerce.sandbox import WooCommerceSandbox


def _error(response) -> tuple[int, str, int]:
    body = response.json()
    return response.status_code, body["code"], body["data"]["status"]


def test_oauth1_over_http_is_accepted_and_a_wrong_secret_is_refused(sandbox, sdk):
    sandbox.add_customer("ada@example.com")
    ok = sdk.get("customers")
    assert ok.status_code == 200 and [c["email"] for c in ok.json()] == ["ada@example.com"]
    assert "oauth_signature=" in ok.request.url and "Authorization" not in ok.request.headers
    wrong = API(url=sandbox.url, consumer_key=sandbox.store.consumer_key, consumer_secret="cs_wrong",
                version="wc/v3").get("customers")
    assert _error(wrong) == (401, "woocommerce_rest_authentication_error", 401)
    assert "signature does not match" in wrong.json()["message"]


def test_a_replayed_oauth_request_is_refused_by_its_nonce(sandbox, sdk):
    first = sdk.get("orders")
    assert first.status_code == 200
    replay = requests.get(first.request.url, timeout=5)
    assert _error(replay) == (401, "woocommerce_rest_authentication_error", 401)
    assert "nonce" in replay.json()["message"]


def test_a_stale_oauth_timestamp_is_refused(sandbox):
    url = OAuth(url=f"{sandbox.url}/wp-json/wc/v3/orders", consumer_key=sandbox.store.consumer_key,
                consumer_secret=sandbox.store.consumer_secret, version="wc/v3", method="GET",
                oauth_timestamp=1_600_000_000).get_oauth_url()
    stale = requests.get(url, timeout=5)
    assert stale.status_code == 401 and stale.json()["message"] == "Invalid timestamp."


def test_basic_auth_is_ignored_over_plain_http(sandbox):
    response = requests.get(f"{sandbox.url}/wp-json/wc/v3/orders", timeout=5,
                            auth=(sandbox.store.consumer_key, sandbox.store.consumer_secret))
    assert _error(response) == (401, "woocommerce_rest_authentication_missing_parameter", 401)


def test_basic_auth_over_https_is_accepted():
    shop = WooCommerceSandbox()
    url = shop.start(tls=True)
    try:
        shop.add_customer("ada@example.com")
        api = API(url=url, consumer_key=shop.store.consumer_key, consumer_secret=shop.store.consumer_secret,
                  version="wc/v3", verify_ssl=shop.ca_bundle)
        response = api.get("customers")
        assert response.status_code == 200 and response.request.headers["Authorization"].startswith("Basic ")
        wrong = API(url=url, consumer_key=shop.store.consumer_key, consumer_secret="cs_wrong", version="wc/v3",
                    verify_ssl=shop.ca_bundle).get("customers")
        assert wrong.status_code == 401 and wrong.json()["message"] == "Consumer secret is invalid."
    finally:
        shop.stop()


def test_refunds_stay_within_the_order_total(sandbox, sdk):
    order = sandbox.add_order(total="20.00")
    assert sdk.post(f"orders/{order['id']}/refunds", {"amount": "15.00", "api_refund": True}).status_code == 201
    too_much = sdk.post(f"orders/{order['id']}/refunds", {"amount": "5.01"})
    assert _error(too_much) == (500, "woocommerce_rest_cannot_create_order_refund", 500)
    assert too_much.json()["message"] == "Invalid refund amount."
    rest = sdk.post(f"orders/{order['id']}/refunds", {"amount": "5.00"})
    assert rest.status_code == 201 and rest.json()["refunded_payment"] is True
    after = sdk.get(f"orders/{order['id']}").json()
    assert after["status"] == "refunded"
    assert [r["total"] for r in after["refunds"]] == ["-15.00", "-5.00"]


def test_a_payment_plugin_without_automatic_refunds_refuses_api_refunds(sandbox, sdk):
    order = sandbox.add_order(total="30.00", payment_method="bacs")
    refused = sdk.post(f"orders/{order['id']}/refunds", {"amount": "10.00", "api_refund": True})
    assert _error(refused) == (500, "woocommerce_rest_cannot_create_order_refund", 500)
    assert "does not support automatic refunds" in refused.json()["message"]
    manual = sdk.post(f"orders/{order['id']}/refunds", {"amount": "10.00", "api_refund": False})
    assert manual.status_code == 201 and manual.json()["refunded_payment"] is False


def test_bad_amounts_are_400s_and_store_nothing(sandbox, sdk):
    order = sandbox.add_order(total="1000", currency="JPY")
    for amount, code in (("10.5", "rest_invalid_param"), ("abc", "rest_invalid_param"),
                         ("0", "woocommerce_rest_invalid_order_refund")):
        response = sdk.post(f"orders/{order['id']}/refunds", {"amount": amount})
        assert _error(response) == (400, code, 400)
    assert sandbox.objects("refunds") == []


def test_listings_page_with_wordpress_headers(sandbox, sdk):
    ids = [sandbox.add_order(total="5.00")["id"] for _ in range(5)]
    pages = [sdk.get("orders", params={"per_page": 2, "page": p, "orderby": "id", "order": "asc"})
             for p in (1, 2, 3)]
    assert [(r.headers["X-WP-Total"], r.headers["X-WP-TotalPages"]) for r in pages] == [("5", "3")] * 3
    assert [o["id"] for r in pages for o in r.json()] == ids
    bad = sdk.get("orders", params={"per_page": 500})
    assert _error(bad) == (400, "rest_invalid_param", 400)


def test_subscriptions_route_exists_only_with_the_extension(sandbox, sdk):
    customer = sandbox.add_customer("ada@example.com")
    sub = sandbox.add_subscription(customer["id"])
    assert sdk.put(f"subscriptions/{sub['id']}", {"status": "cancelled"}).json()["status"] == "cancelled"
    again = sdk.put(f"subscriptions/{sub['id']}", {"status": "pending-cancel"})
    assert _error(again) == (400, "woocommerce_rest_invalid_shop_subscription_status", 400)
    sandbox.reset(subscriptions=False)
    assert _error(sdk.get("subscriptions")) == (404, "rest_no_route", 404)


def test_send_order_details_emails_the_billing_address(sandbox, sdk):
    order = sandbox.add_order(total="9.00", email="guest@example.com", status="pending")
    sent = sdk.post(f"orders/{order['id']}/actions/send_order_details", {})
    assert sent.status_code == 200 and "guest@example.com" in sent.json()["message"]
    assert sandbox.emails == [{"order_id": order["id"], "to": "guest@example.com", "template": "customer_invoice"}]
    assert _error(sdk.post("orders/999999/actions/send_order_details", {})) == (
        404, "woocommerce_rest_shop_order_invalid_id", 404)


def test_injected_failure_after_commit_keeps_the_change(sandbox, sdk):
    order = sandbox.add_order(total="10.00")
    sandbox.fail_next(1, status=502, path_prefix=f"/orders/{order['id']}/refunds", after_commit=True)
    lost = sdk.post(f"orders/{order['id']}/refunds", {"amount": "4.00"})
    assert lost.status_code == 502 and lost.json()["data"]["status"] == 502
    assert [r["amount"] for r in sandbox.objects("refunds")] == ["4.00"]

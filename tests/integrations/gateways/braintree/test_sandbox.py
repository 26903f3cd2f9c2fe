"""The sandbox itself, spoken to by the real SDK and over plain HTTP (its /_sandbox/ controls)."""
from __future__ import annotations

import datetime as dt

import braintree
import pytest
import requests
from braintree.exceptions import AuthenticationError, NotFoundError, ServerError

from backend.integrations.gateways.braintree.client import environment_for


def codes(result) -> list[str]:
    return [e.code for e in result.errors.deep_errors]


def test_wrong_private_key_is_401(sandbox):
    gateway = braintree.BraintreeGateway(braintree.Configuration(
        environment_for(sandbox.gateway_config()), merchant_id=sandbox.merchant_id,
        public_key=sandbox.public_key, private_key="wrong"))
    with pytest.raises(AuthenticationError):
        gateway.transaction.find("abc")


def test_missing_api_version_header_and_unknown_paths(sandbox):
    path = f"{sandbox.url}/merchants/{sandbox.merchant_id}/transactions/abc"
    auth = (sandbox.public_key, sandbox.private_key)
    assert requests.get(path, auth=auth, timeout=5).status_code == 426
    assert requests.get(path, auth=auth, headers={"X-ApiVersion": "6"}, timeout=5).status_code == 404


def test_responses_are_one_xml_document(sandbox, make_sale):
    sale = make_sale()
    response = requests.get(f"{sandbox.url}/merchants/{sandbox.merchant_id}/transactions/{sale.id}",
                            auth=(sandbox.public_key, sandbox.private_key),
                            headers={"X-ApiVersion": "6"}, timeout=5)
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.text.count("<?xml") == 1
    assert "<amount>10.00</amount>" in response.text


def test_credit_cannot_be_refunded(sdk, sandbox, make_sale):
    sale = make_sale(submit=True)
    sandbox.settle(sale.id)
    credit = sdk.transaction.refund(sale.id, "1.00").transaction
    sandbox.settle(credit.id)
    result = sdk.transaction.refund(credit.id, "1.00")
    assert codes(result) == ["91505"]


def test_settle_needs_a_submitted_transaction(sdk, make_sale):
    sale = make_sale()
    result = sdk.testing.settle_transaction(sale.id)
    assert codes(result) == ["91575"]
    sdk.transaction.submit_for_settlement(sale.id)
    assert sdk.testing.settle_transaction(sale.id).transaction.status == "settled"


def test_void_submitted_but_not_settled(sdk, make_sale):
    sale = make_sale(submit=True)
    assert sdk.transaction.void(sale.id).transaction.status == "voided"
    assert codes(sdk.transaction.void(sale.id)) == ["91504"]


def test_amount_format_follows_the_currency(sdk):
    result = sdk.transaction.sale({"amount": "10.5", "merchant_account_id": "chargedesk_jpy",
                                   "credit_card": {"number": "4111111111111111",
                                                   "expiration_date": "12/2030"}})
    assert codes(result) == ["81503"]


def test_search_by_created_at_range_and_ids(sdk, sandbox, make_sale):
    sandbox.freeze_clock()
    old = make_sale().id
    later = sandbox.advance_clock(3600)
    new = make_sale().id
    found = sdk.transaction.search(braintree.TransactionSearch.created_at >= later)
    assert found.ids == [new]
    by_ids = sdk.transaction.search(braintree.TransactionSearch.ids.in_list([old, new]))
    assert sorted(t.id for t in by_ids.items) == sorted([old, new])


def test_fail_next_counts_down_and_matches_the_prefix(sdk, sandbox, make_sale):
    sale = make_sale()
    sandbox.fail_next(2, status=500, path_prefix="/transactions")
    sdk.plan.all()  # other paths are not affected
    for _ in range(2):
        with pytest.raises(ServerError):
            sdk.transaction.find(sale.id)
    assert sdk.transaction.find(sale.id).id == sale.id


def test_after_commit_failure_keeps_the_change(sdk, sandbox, make_sale):
    sale = make_sale()
    sandbox.fail_next(1, status=500, path_prefix="/transactions", after_commit=True)
    with pytest.raises(ServerError):
        sdk.transaction.void(sale.id)
    assert sdk.transaction.find(sale.id).status == "voided"


def test_http_controls(sandbox, make_sale, sdk):
    sale = make_sale(submit=True)
    base = f"{sandbox.url}/_sandbox"
    settled = requests.post(f"{base}/transactions/{sale.id}/settle", timeout=5).json()
    assert settled["status"] == "settled"
    objects = requests.get(f"{base}/objects/transaction", timeout=5).json()
    assert [o["id"] for o in objects] == [sale.id]
    assert "_authorized_amount" not in objects[0]
    assert requests.post(f"{base}/fail_next", json={"count": 1, "status": 503},
                         timeout=5).status_code == 200
    with pytest.raises(braintree.exceptions.ServiceUnavailableError):
        sdk.plan.all()
    assert requests.post(f"{base}/reset", timeout=5).json() == {"reset": True}
    with pytest.raises(NotFoundError):
        sdk.transaction.find(sale.id)


def test_subscription_update_is_all_or_nothing(sdk, make_customer):
    token = make_customer().credit_cards[0].token
    sub = sdk.subscription.create({"plan_id": "basic_monthly",
                                   "payment_method_token": token}).subscription
    result = sdk.subscription.update(sub.id, {"price": "99.00", "discounts": {
        "add": [{"inherited_from_id": "no_such_discount"}]}})
    assert codes(result) == ["92013"]
    assert str(sdk.subscription.find(sub.id).price) == "10.00"


def test_clock_moves_created_at(sandbox, make_sale):
    before = sandbox.freeze_clock()
    sandbox.advance_clock(86400)
    sale = make_sale()
    assert sale.created_at.replace(tzinfo=dt.timezone.utc) == before + dt.timedelta(days=1)

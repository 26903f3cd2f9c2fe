"""The sandbox itself, driven by the real SDK: the Recurly rules it enforces and its controls."""
from __future__ import annotations

from decimal import Decimal

import pytest
import recurly
import requests

from backend.integrations.gateways.errors import GatewayRejected
from backend.integrations.gateways.recurly.client import RecurlyClient


def test_sdk_pager_follows_next_links_across_pages(sandbox, sdk):
    sandbox.add_account("pager")
    for n in range(7):
        sandbox.add_purchase("pager", f"{n + 1}.00", "USD")
    pages = list(sdk.list_transactions(params={"limit": 3, "order": "asc"}).pages())
    assert [len(p) for p in pages] == [3, 3, 1]
    amounts = [t.amount for page in pages for t in page]
    assert amounts == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    newest_first = [t.amount for t in sdk.list_transactions(params={"limit": 2}).items()]
    assert newest_first == amounts[::-1]


def test_ids_and_prefixed_lookups(sandbox, sdk):
    account = sdk.create_account({"code": "prefix-me", "billing_info": {"number": "4111"}})
    assert len(account.id) == 12 and account.id.isalnum() and account.id.islower()
    assert sdk.get_account("code-prefix-me").id == account.id
    invoice = sdk.create_purchase({"currency": "USD", "account": {"code": "prefix-me"},
                                   "line_items": [{"unit_amount": 5.0}]}).charge_invoice
    assert sdk.get_invoice(f"number-{invoice.number}").id == invoice.id
    assert sdk.get_invoice(f"uuid-{invoice.uuid}").id == invoice.id
    assert sdk.get_plan("code-basic").code == "basic"
    assert sdk.get_coupon("code-SAVE20").code == "SAVE20"


def test_line_item_refund_returns_a_credit_invoice(sandbox, sdk, make_account):
    make_account("li")
    invoice = sdk.create_purchase({"currency": "USD", "account": {"code": "li"}, "line_items": [
        {"unit_amount": 4.0, "quantity": 5, "description": "Widgets"}]}).charge_invoice
    line = invoice.line_items[0]
    credit = sdk.refund_invoice(invoice.id, {"type": "line_items", "line_items": [
        {"id": line.id, "quantity": 2, "prorate": False}]})
    assert (credit.type, credit.total, credit.previous_invoice_id) == ("credit", -8.0, invoice.id)
    assert sdk.get_invoice(invoice.id).refundable_amount == 12.0
    with pytest.raises(recurly.errors.ValidationError):
        sdk.refund_invoice(invoice.id, {"type": "line_items", "line_items": [
            {"id": line.id, "quantity": 4}]})


def test_void_only_unpaid_invoices(sandbox, sdk, make_account):
    make_account("void")
    paid = sdk.create_purchase({"currency": "USD", "account": {"code": "void"},
                                "line_items": [{"unit_amount": 5.0}]}).charge_invoice
    with pytest.raises(recurly.errors.ValidationError):
        sdk.void_invoice(paid.id)
    past_due = sandbox.add_past_due_invoice("void", "9.00", "USD")
    assert sdk.void_invoice(past_due["id"]).state == "voided"


def test_declined_card_is_a_transaction_error_and_leaves_a_failed_invoice(sandbox, config,
                                                                         make_account):
    make_account("broke", card="4000000000000002")
    client = RecurlyClient(config)
    with pytest.raises(GatewayRejected) as caught:
        client.create_subscription({"plan_code": "basic", "currency": "USD",
                                    "account": {"code": "broke"}}, idempotency_key="d-1")
    assert (caught.value.code, caught.value.http_status) == ("transaction", 422)
    assert sandbox.objects("subscriptions") == []
    assert [(t["type"], t["status"]) for t in sandbox.objects("transactions")] == [
        ("purchase", "declined")]
    assert [i["state"] for i in sandbox.objects("invoices")] == ["failed"]


def test_failed_requests_write_nothing(sandbox, sdk, make_account):
    make_account("atomic")
    with pytest.raises(recurly.errors.ValidationError):
        sdk.create_subscription({"plan_code": "basic", "currency": "USD",
                                 "account": {"code": "atomic"}, "coupon_codes": ["NOPE"]})
    assert sandbox.objects("subscriptions") == [] and sandbox.objects("invoices") == []


def test_wrong_api_version_is_refused(sandbox):
    response = requests.get(sandbox.url + "/accounts", timeout=5,
                            auth=(sandbox.api_key, ""),
                            headers={"Accept": "application/vnd.recurly.v2019-10-10"})
    assert response.status_code == 406
    assert response.json()["error"]["type"] == "invalid_api_version"


def test_http_controls(sandbox, sdk, make_account):
    make_account("ctl")
    assert requests.post(sandbox.url + "/_sandbox/fail_next", timeout=5, json={
        "count": 1, "status": 503, "path_prefix": "/accounts"}).status_code == 200
    with pytest.raises(recurly.errors.ServiceUnavailableError):
        sdk.get_account("code-ctl")
    listed = requests.get(sandbox.url + "/_sandbox/objects/accounts", timeout=5).json()["data"]
    assert [a["code"] for a in listed] == ["ctl"]
    assert requests.post(sandbox.url + "/_sandbox/reset", timeout=5, json={}).status_code == 200
    assert sandbox.objects("accounts") == [] and len(sandbox.objects("plans")) == 2


def test_idempotent_replay_is_marked_and_not_reapplied(sandbox, sdk, make_account):
    make_account("idem")
    body = {"currency": "USD", "account": {"code": "idem"}, "line_items": [{"unit_amount": 3.0}]}
    first = sdk.create_purchase(body, headers={"Idempotency-Key": "p-1"})
    again = sdk.create_purchase(body, headers={"Idempotency-Key": "p-1"})
    assert again.charge_invoice.id == first.charge_invoice.id
    assert len(sandbox.objects("invoices")) == 1
    assert sandbox.objects("invoices")[0]["total"] == Decimal("3.00")

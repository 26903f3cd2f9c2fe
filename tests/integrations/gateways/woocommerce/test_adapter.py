"""WooCommerceAdapter against the sandbox: mapping, money, guests, refunds keyed by run id,
subscriptions only with the extension, order emails once per key, paging, errors."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backend.integrations.gateways import Capability, Operation, build_adapter
from backend.integrations.gateways.errors import (
    GatewayAuthError, GatewayNotFound, GatewayRejected, GatewayUnavailable, Unsupported,
)
from backend.integrations.gateways.records import (
    ChargeStatus, InvoiceStatus, ObjectKind, RefundRecord, SubscriptionStatus,
)
from backend.integrations.gateways.woocommerce import mappers

REPO = Path(__file__).resolve().parents[4]


def walk(adapter, kind, cursor=None, limit=2):
    records = []
    while True:
        page = adapter.list_page(kind, cursor=cursor, limit=limit)
        records += page.items
        cursor = page.next_cursor
        if cursor is None:
            return records


@pytest.mark.parametrize("raw, charge, invoice", [
    ("pending", ChargeStatus.PENDING, InvoiceStatus.OPEN),
    ("on-hold", ChargeStatus.PENDING, InvoiceStatus.OPEN),
    ("processing", ChargeStatus.SUCCEEDED, InvoiceStatus.PAID),
    ("completed", ChargeStatus.SUCCEEDED, InvoiceStatus.PAID),
    ("refunded", ChargeStatus.SUCCEEDED, InvoiceStatus.PAID),
    ("failed", ChargeStatus.FAILED, InvoiceStatus.OPEN),
    ("cancelled", ChargeStatus.CANCELED, InvoiceStatus.VOID),
    ("wc-partial-payment", ChargeStatus.UNKNOWN, InvoiceStatus.UNKNOWN),  # a plugin's status
])
def test_order_statuses_map_to_ours_and_unknown_is_never_success(sandbox, adapter, raw, charge, invoice):
    order = sandbox.add_order(total="10.00")
    sandbox.set_status("orders", order["id"], raw)
    fetched = adapter.fetch(ObjectKind.CHARGE, str(order["id"]))
    assert (fetched.status, fetched.raw_status) == (charge, raw)
    assert adapter.fetch(ObjectKind.INVOICE, str(order["id"])).status is invoice


@pytest.mark.parametrize("total, currency, minor", [("19.99", "USD", 1999), ("1500", "JPY", 1500),
                                                    ("1.250", "KWD", 1250)])
def test_money_is_converted_with_the_currency_exponent(sandbox, adapter, total, currency, minor):
    order = sandbox.add_order(total=total, currency=currency)
    charge = adapter.fetch(ObjectKind.CHARGE, str(order["id"]))
    assert (charge.amount, charge.amount_captured, charge.currency) == (minor, minor, currency)


def test_guest_checkouts_are_customers_known_by_billing_email(sandbox, adapter):
    registered = sandbox.add_customer("ada@example.com")
    sandbox.add_order(total="5.00", customer_id=registered["id"])
    guest_order = sandbox.add_order(total="7.00", email="Walk-In@Example.com")
    sandbox.add_order(total="8.00", email="walk-in@example.com")
    customers = walk(adapter, ObjectKind.CUSTOMER, limit=1)  # a guest on two pages is upserted twice
    assert {c.external_id for c in customers} == {str(registered["id"]), "guest:walk-in@example.com"}
    assert len(walk(adapter, ObjectKind.CUSTOMER, limit=10)) == 2  # once per page
    charge = adapter.fetch(ObjectKind.CHARGE, str(guest_order["id"]))
    assert charge.customer_external_id == "guest:walk-in@example.com"
    assert adapter.fetch(ObjectKind.CUSTOMER, charge.customer_external_id).email == "walk-in@example.com"


def _refund(adapter, order_id, amount, key, currency="USD"):
    return adapter.refund(charge_id=str(order_id), amount=amount, currency=currency, reason="duplicate",
                          note="customer asked", idempotency_key=key)


def test_refund_goes_through_the_payment_plugin_and_carries_the_run_id(sandbox, adapter):
    order = sandbox.add_order(total="20.00")
    result = _refund(adapter, order["id"], 600, "run-abc")
    (stored,) = sandbox.objects("refunds")
    assert stored["refunded_payment"] is True and stored["amount"] == "6.00"
    assert {"key": "chargedesk_run_id", "value": "run-abc"} in [
        {"key": m["key"], "value": m["value"]} for m in stored["meta_data"]]
    assert stored["reason"] == "duplicate - customer asked [ChargeDesk run-abc]"
    assert (result.refund.amount, result.refund.metadata["chargedesk_run_id"]) == (600, "run-abc")
    assert (result.charge.amount_refunded, result.charge.status) == (600, ChargeStatus.SUCCEEDED)


def test_a_plugin_that_cannot_refund_is_a_clear_final_error(sandbox, adapter):
    order = sandbox.add_order(total="20.00", payment_method="bacs")
    with pytest.raises(GatewayRejected, match="does not support automatic refunds") as caught:
        _refund(adapter, order["id"], None, "run-bacs")
    assert caught.value.retryable is False
    assert sandbox.objects("refunds") == []


def test_reconcile_finds_a_refund_by_the_marker_in_its_reason(sandbox, adapter):
    order = sandbox.add_order(total="20.00")
    sandbox.add_refund(order["id"], "3.00", reason="Refund [ChargeDesk run-old]")  # meta_data lost
    found = adapter.reconcile(operation=Operation.REFUND, target_id=str(order["id"]), idempotency_key="run-old")
    assert isinstance(found, RefundRecord) and found.amount == 300
    replay = _refund(adapter, order["id"], 300, "run-old")
    assert replay.refund.external_id == found.external_id and len(sandbox.objects("refunds")) == 1


def test_refund_in_another_currency_or_of_nothing_left_is_rejected(sandbox, adapter):
    order = sandbox.add_order(total="10.00", currency="EUR")
    with pytest.raises(GatewayRejected, match="in EUR, not USD"):
        _refund(adapter, order["id"], 100, "run-usd", currency="USD")
    _refund(adapter, order["id"], None, "run-all", currency="EUR")
    with pytest.raises(GatewayRejected, match="nothing left"):
        _refund(adapter, order["id"], None, "run-more", currency="EUR")
    assert [r["amount"] for r in sandbox.objects("refunds")] == ["10.00"]


def test_an_order_that_does_not_exist_is_not_found(adapter):
    for missing in ("999999", "abc", "-3"):
        with pytest.raises(GatewayNotFound):
            adapter.fetch(ObjectKind.CHARGE, missing)


def test_cancel_now_and_at_period_end_where_the_extension_is_active(sandbox, adapter):
    assert {Capability.CANCEL_NOW, Capability.CANCEL_AT_PERIOD_END} <= adapter.capabilities
    customer = sandbox.add_customer("ada@example.com")
    now_sub, later_sub = (sandbox.add_subscription(customer["id"]) for _ in range(2))
    ended = adapter.cancel_subscription(subscription_id=str(now_sub["id"]), at_period_end=False, prorate=False,
                                        idempotency_key="cancel-1")
    assert (ended.status, ended.raw_status) == (SubscriptionStatus.CANCELED, "cancelled")
    ending = adapter.cancel_subscription(subscription_id=str(later_sub["id"]), at_period_end=True,
                                         prorate=False, idempotency_key="cancel-2")
    assert (ending.status, ending.cancel_at_period_end) == (SubscriptionStatus.ACTIVE, True)
    replay = adapter.cancel_subscription(subscription_id=str(now_sub["id"]), at_period_end=False,
                                         prorate=False, idempotency_key="cancel-1")
    assert replay.raw_status == "cancelled"
    assert adapter.reconcile(operation=Operation.CANCEL_SUBSCRIPTION, target_id=str(now_sub["id"]),
                             idempotency_key="cancel-1").external_id == str(now_sub["id"])
    with pytest.raises(Unsupported, match="prorate"):
        adapter.cancel_subscription(subscription_id=str(later_sub["id"]), at_period_end=False, prorate=True,
                                    idempotency_key="cancel-3")


def test_a_shop_without_the_extension_declares_no_cancelling(sandbox):
    sandbox.reset(subscriptions=False)
    detected = build_adapter("woocommerce", sandbox.gateway_config(settings={})).detect_settings()
    assert detected == {"subscriptions_extension": False}
    adapter = build_adapter("woocommerce", sandbox.gateway_config())
    assert Capability.CANCEL_NOW not in adapter.capabilities
    assert adapter.list_page(ObjectKind.SUBSCRIPTION, cursor=None).items == ()
    with pytest.raises(Unsupported, match="WooCommerce Subscriptions"):
        adapter.cancel_subscription(subscription_id="5", at_period_end=False, prorate=False, idempotency_key="k")
    undetected = build_adapter("woocommerce", sandbox.gateway_config(settings={"subscriptions_extension": None}))
    assert undetected.list_page(ObjectKind.SUBSCRIPTION, cursor=None).items == ()
    assert Capability.CANCEL_NOW not in undetected.capabilities


def test_the_backfill_mirrors_orders_awaiting_payment_as_invoices(sandbox, adapter):
    awaiting = [sandbox.add_order(total="5.00", status=s)["id"] for s in ("pending", "on-hold", "failed")]
    for status in ("processing", "completed", "cancelled"):
        sandbox.add_order(total="5.00", status=status)
    invoices = walk(adapter, ObjectKind.INVOICE)
    assert [i.external_id for i in invoices] == [str(i) for i in awaiting]
    assert {i.status for i in invoices} == {InvoiceStatus.OPEN}
    assert len(walk(adapter, ObjectKind.CHARGE, limit=100)) == 6


def test_send_invoice_emails_once_per_key(sandbox, adapter):
    order = sandbox.add_order(total="15.00", email="guest@example.com", status="pending")
    first = adapter.send_invoice(invoice_id=str(order["id"]), idempotency_key="send-1")
    replay = adapter.send_invoice(invoice_id=str(order["id"]), idempotency_key="send-1")
    assert (first.status, replay.external_id) == (InvoiceStatus.OPEN, str(order["id"]))
    assert first.amount_due == 1500
    assert len(sandbox.emails) == 1
    adapter.send_invoice(invoice_id=str(order["id"]), idempotency_key="send-2")
    assert [e["template"] for e in sandbox.emails] == ["customer_invoice", "customer_invoice"]


def test_paging_survives_deletions_between_pages(sandbox, adapter):
    ids = [str(sandbox.add_order(total="1.00")["id"]) for _ in range(7)]
    first = adapter.list_page(ObjectKind.CHARGE, cursor=None, limit=3)
    with sandbox.store.lock:  # two orders already returned are deleted in wp-admin meanwhile
        del sandbox.store.orders[int(ids[0])], sandbox.store.orders[int(ids[1])]
    rest = walk(adapter, ObjectKind.CHARGE, first.next_cursor, limit=3)
    assert [c.external_id for c in first.items] + [c.external_id for c in rest] == ids


def test_a_bad_cursor_is_a_value_error(adapter):
    with pytest.raises(ValueError, match="cursor"):
        adapter.list_page(ObjectKind.CHARGE, cursor="not-a-cursor")


def test_wrong_keys_and_an_unreachable_shop_map_to_the_taxonomy(sandbox):
    wrong = build_adapter("woocommerce", sandbox.gateway_config(
        credentials={"consumer_key": sandbox.store.consumer_key, "consumer_secret": "cs_wrong"}))
    with pytest.raises(GatewayAuthError, match="refused the API keys"):
        wrong.list_page(ObjectKind.CUSTOMER, cursor=None, limit=1)
    gone = build_adapter("woocommerce", sandbox.gateway_config(api_base="http://127.0.0.1:9"))
    with pytest.raises(GatewayUnavailable) as caught:
        gone.fetch(ObjectKind.CHARGE, "1")
    assert caught.value.retryable is True


def test_a_shop_url_is_required(sandbox):
    with pytest.raises(ValueError, match="store-url"):
        build_adapter("woocommerce", sandbox.gateway_config(api_base=None))


def test_refunds_are_listed_in_full_from_the_orders_that_have_any(sandbox, adapter):
    order = sandbox.add_order(total="50.00")
    sandbox.add_refund(order["id"], "12.50", reason="damaged")
    yen = sandbox.add_order(total="3000", currency="JPY")
    sandbox.add_refund(yen["id"], "500")
    sandbox.add_order(total="9.00")  # no refunds
    refunds = walk(adapter, ObjectKind.REFUND, limit=100)
    assert [(r.charge_external_id, r.amount, r.currency, r.reason) for r in refunds] == [
        (str(order["id"]), 1250, "USD", "damaged"), (str(yen["id"]), 500, "JPY", None)]
    assert all(r.created_at is not None for r in refunds)  # an undated refund would look new
    assert [r["path"] for r in sandbox.requests] == ["/refunds", "/orders"]  # + one for the currencies


def test_a_shop_without_the_refunds_route_is_walked_order_by_order(sandbox, adapter):
    sandbox.store.refunds_route = False  # an older WooCommerce
    refunded = sandbox.add_order(total="50.00")
    sandbox.add_refund(refunded["id"], "5.00")
    sandbox.add_order(total="9.00")  # no refunds: its refunds are not asked for
    (refund,) = walk(adapter, ObjectKind.REFUND)
    assert (refund.charge_external_id, refund.amount, refund.created_at is not None) == (
        str(refunded["id"]), 500, True)
    assert [r["path"] for r in sandbox.requests if "refunds" in r["path"]] == [
        "/refunds", f"/orders/{refunded['id']}/refunds"]


def test_only_client_py_imports_the_sdk():
    folder = REPO / "backend" / "integrations" / "gateways" / "woocommerce"
    importers = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            if any(n.split(".")[0] == "woocommerce" for n in names):
                importers.append(path.relative_to(REPO).as_posix())
    assert importers == ["backend/integrations/gateways/woocommerce/client.py"]
    assert mappers.GUEST_PREFIX == "guest:"


def test_shop_free_text_is_cut_to_the_mirror_and_odd_guest_emails_key_nothing():
    order = {"id": 7, "status": "processing", "currency": "USD", "total": "5.00", "customer_id": 0,
             "billing": {"email": "not-an-email", "first_name": "A" * 300}, "line_items": []}
    assert mappers.customer_ref(order) is None and mappers.guest_record(order) is None
    long_guest = dict(order, billing={"email": "x" * 250 + "@example.com"})
    assert mappers.customer_ref(long_guest) is None
    refund = mappers.refund_record({"id": 9, "amount": "1.00", "reason": "r" * 450}, order_id="7", currency="USD")
    assert len(refund.reason) == 200
    sub = mappers.subscription_record({"id": 3, "status": "active", "currency": "USD", "total": "1.00",
                                       "customer_id": 2, "line_items": [{"name": "P" * 300}]})
    assert len(sub.plan_name) == 200

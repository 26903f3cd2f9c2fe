"""PayPalAdapter through the real SDK against the sandbox: money at the edge (JPY, KWD), statuses,
charges made of authorizations and captures, paging across 31-day windows, error taxonomy, tokens."""
from __future__ import annotations

from datetime import timedelta

import pytest

from backend.integrations.gateways import Operation, build_adapter
from backend.integrations.gateways.errors import GatewayAuthError, GatewayNotFound, GatewayRejected, Unsupported
from backend.integrations.gateways.records import ChargeStatus, InvoiceStatus, ObjectKind, SubscriptionStatus


def walk(adapter, kind, limit=100):
    records, cursor, pages = [], None, 0
    while True:
        page = adapter.list_page(kind, cursor=cursor, limit=limit)
        records += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return records, pages


@pytest.mark.parametrize("currency, value, minor, part", [("JPY", "5000", 5000, 1234), ("KWD", "12.345", 12345, 1001),
                                                        ("USD", "20.00", 2000, 1)])
def test_refunds_convert_money_with_the_currency_exponent(sandbox, adapter, currency, value, minor, part):
    capture = sandbox.add_capture("taro@example.jp", value, currency)
    assert adapter.fetch(ObjectKind.CHARGE, capture).amount == minor
    result = adapter.refund(charge_id=capture, amount=part, currency=currency, reason=None, note="sorry",
                            idempotency_key="run-money")
    assert (result.refund.amount, result.refund.currency, result.charge.amount_refunded) == (part, currency, part)
    (stored,) = sandbox.objects("refunds")
    assert (str(stored["value"]), stored["custom_id"], stored["note_to_payer"]) == (
        {"JPY": "1234", "KWD": "1.001", "USD": "0.01"}[currency], "run-money", "sorry")
    posts = [r for r in sandbox.requests if r["path"].endswith("/refund")]
    assert [r["request_id"] for r in posts] == ["run-money"]


def test_a_refund_in_another_currency_is_rejected_before_any_call(sandbox, adapter):
    capture = sandbox.add_capture("ada@example.com", "20.00")
    with pytest.raises(GatewayRejected, match="in USD, not EUR"):
        adapter.refund(charge_id=capture, amount=100, currency="EUR", reason=None, note=None, idempotency_key="k")
    assert sandbox.objects("refunds") == []


def test_an_authorization_and_its_capture_are_one_charge(sandbox, adapter):
    auth = sandbox.add_authorization("ada@example.com", "50.00")
    held = adapter.fetch(ObjectKind.CHARGE, auth)
    assert (held.status, held.amount_capturable, held.amount_captured) == (ChargeStatus.AUTHORIZED, 5000, 0)
    captured = adapter.capture(charge_id=auth, amount=2000, idempotency_key="cap-1")
    assert (captured.external_id, captured.status, captured.amount_captured, captured.amount_capturable) == (
        auth, ChargeStatus.SUCCEEDED, 2000, 0)
    refund = adapter.refund(charge_id=auth, amount=500, currency="USD", reason=None, note=None, idempotency_key="r-1")
    assert (refund.refund.charge_external_id, refund.charge.amount_refunded) == (auth, 500)
    listed, _pages = walk(adapter, ObjectKind.CHARGE)
    assert [(c.external_id, c.amount_captured, c.amount_refunded) for c in listed] == [(auth, 2000, 500)]
    (capture,) = sandbox.objects("captures")
    assert adapter.fetch(ObjectKind.CHARGE, capture["id"]).external_id == auth  # a capture id finds its charge
    found = adapter.reconcile(operation=Operation.CAPTURE, target_id=auth, idempotency_key="cap-1")
    assert (found.external_id, found.amount_captured, found.amount_refunded) == (auth, 2000, 500)


def test_void_and_reconcile(sandbox, adapter):
    auth = sandbox.add_authorization("ada@example.com", "10.00")
    assert adapter.reconcile(operation=Operation.VOID, target_id=auth, idempotency_key="v") is None
    voided = adapter.void(charge_id=auth, idempotency_key="v")
    assert (voided.status, voided.raw_status) == (ChargeStatus.CANCELED, "VOIDED")
    assert adapter.reconcile(operation=Operation.VOID, target_id=auth, idempotency_key="v") == voided
    with pytest.raises(GatewayRejected, match="not been captured"):
        adapter.refund(charge_id=auth, amount=None, currency="USD", reason=None, note=None, idempotency_key="r")


def test_unknown_statuses_are_unknown_never_success(sandbox, adapter):
    capture = sandbox.add_capture("ada@example.com", "10.00")
    sandbox.set_status("captures", capture, "SOMETHING_NEW")
    invoice = sandbox.add_invoice("ada@example.com")
    sandbox.set_status("invoices", invoice, "SOMETHING_NEW")
    assert adapter.fetch(ObjectKind.CHARGE, capture).status is ChargeStatus.UNKNOWN
    assert adapter.fetch(ObjectKind.INVOICE, invoice).status is InvoiceStatus.UNKNOWN


def test_cancel_now_sends_a_reason_and_is_idempotent(sandbox, adapter):
    sub = sandbox.add_subscription("grace@example.com", value="99.00")
    record = adapter.cancel_subscription(subscription_id=sub, at_period_end=False, prorate=False,
                                         idempotency_key="run-c")
    assert (record.status, record.customer_external_id, record.amount) == (SubscriptionStatus.CANCELED,
                                                                          "grace@example.com", 9900)
    (stored,) = sandbox.objects("subscriptions")
    assert "run-c" in stored["status_change_note"]
    again = adapter.cancel_subscription(subscription_id=sub, at_period_end=False, prorate=False, idempotency_key="run-c")
    assert again.status is SubscriptionStatus.CANCELED
    assert sum(1 for r in sandbox.requests if r["path"].endswith("/cancel")) == 1
    with pytest.raises(Unsupported):
        adapter.cancel_subscription(subscription_id=sub, at_period_end=True, prorate=False, idempotency_key="x")


def test_send_invoice_sends_a_draft_then_requests_payment(sandbox, adapter):
    invoice = sandbox.add_invoice("ada@example.com", (("Setup", "15.00"), ("Support", "5.50")))
    sent = adapter.send_invoice(invoice_id=invoice, idempotency_key="send-1")
    assert (sent.status, sent.total, sent.amount_due) == (InvoiceStatus.OPEN, 2050, 2050)
    adapter.send_invoice(invoice_id=invoice, idempotency_key="send-1")  # the payment request, once
    assert [e["kind"] for e in sandbox.emails] == ["invoice", "reminder"]
    sandbox.set_status("invoices", invoice, "PAID")
    with pytest.raises(GatewayRejected, match="PAID"):
        adapter.send_invoice(invoice_id=invoice, idempotency_key="send-2")


def test_create_invoice_replays_by_request_id(sandbox, adapter):
    from backend.integrations.gateways.records import InvoiceLineRecord

    def create():
        return adapter.create_invoice(customer_id="Ada@Example.com", currency="JPY",
                                      lines=(InvoiceLineRecord("Setup", 1500),), days_until_due=7,
                                      idempotency_key="inv-1")
    first, again = create(), create()
    assert first.external_id == again.external_id and len(sandbox.objects("invoices")) == 1
    assert (first.total, first.currency, first.customer_external_id) == (1500, "JPY", "ada@example.com")
    assert first.due_at is not None


def test_charges_page_across_31_day_windows_and_resume(sandbox):
    with sandbox.store.lock:
        for days_ago in (200, 100, 40, 35, 1):
            when = sandbox.store.now() - timedelta(days=days_ago)
            order = sandbox.store.create_order("CAPTURE", {"currency_code": "USD", "value": f"{days_ago}.00"},
                                               payer_email="old@example.com", when=when)
            sandbox.store.capture_order(order["id"], when=when)
    adapter = build_adapter("paypal", sandbox.gateway_config(settings={"history_days": 365}))
    first = adapter.list_page(ObjectKind.CHARGE, cursor=None, limit=1)
    records, cursor = list(first.items), first.next_cursor
    while cursor:
        page = build_adapter("paypal", sandbox.gateway_config()).list_page(ObjectKind.CHARGE, cursor=cursor, limit=1)
        records += page.items
        cursor = page.next_cursor
    assert [r.amount for r in records] == [20000, 10000, 4000, 3500, 100]
    searches = [r for r in sandbox.requests if r["path"] == "/v1/reporting/transactions"]
    assert len(searches) >= 12  # a year in windows of at most 31 days (the sandbox refuses longer ones)
    short = build_adapter("paypal", sandbox.gateway_config(settings={"history_days": 30}))
    assert [r.amount for r in walk(short, ObjectKind.CHARGE)[0]] == [100]


def test_a_bad_cursor_is_a_value_error(adapter):
    with pytest.raises(ValueError, match="cursor"):
        adapter.list_page(ObjectKind.CHARGE, cursor="bm90LWpzb24=", limit=10)


def test_ids_that_cannot_exist_are_not_found_without_a_call(sandbox, adapter):
    for bad in ("../v1/oauth2/token", "a b", ""):
        with pytest.raises(GatewayNotFound):
            adapter.fetch(ObjectKind.CHARGE, bad)
    assert sandbox.requests == []


def test_refused_credentials_are_an_auth_error(sandbox):
    adapter = build_adapter("paypal", sandbox.gateway_config(credentials={"client_id": "x", "client_secret": "y"}))
    with pytest.raises(GatewayAuthError):
        adapter.list_page(ObjectKind.CHARGE, cursor=None, limit=10)


def test_a_revoked_token_is_replaced_once(sandbox, adapter):
    capture = sandbox.add_capture("ada@example.com", "10.00")
    adapter.fetch(ObjectKind.CHARGE, capture)
    with sandbox.store.lock:
        sandbox.store.tokens.clear()
    assert adapter.fetch(ObjectKind.CHARGE, capture).amount == 1000
    assert sum(1 for r in sandbox.requests if r["path"] == "/v1/oauth2/token") <= 2


def test_backfill_lists_payers_refunds_subscriptions_and_invoices(sandbox, adapter):
    capture = sandbox.add_capture("Ada@Example.com", "30.00")
    sandbox.add_refund(capture, "10.00")
    sandbox.add_subscription("grace@example.com")
    sandbox.add_invoice("bob@example.com")
    customers = {c.external_id for c in walk(adapter, ObjectKind.CUSTOMER)[0]}
    assert customers == {"ada@example.com", "bob@example.com"}
    (refund,) = walk(adapter, ObjectKind.REFUND)[0]
    assert (refund.charge_external_id, refund.amount) == (capture, 1000)
    assert [s.customer_external_id for s in walk(adapter, ObjectKind.SUBSCRIPTION)[0]] == ["grace@example.com"]
    assert [i.customer_external_id for i in walk(adapter, ObjectKind.INVOICE)[0]] == ["bob@example.com"]

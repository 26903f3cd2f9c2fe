"""Refused before anything is queued: 4xx with a message a person understands, and no gateway call."""
import pytest

from backend.accounts import update_account_settings
from backend.db import session, transaction
from backend.models import ActionRun, Charge, Customer, Subscription
from tests.actions.conftest import row


@pytest.fixture
def paid(shop, mirror):
    """A $20.00 charge with $15.00 already refunded, mirrored; sandbox traffic checked from here on."""
    charge_id = shop.charge(shop.customer(), 2000)
    shop.v1.refunds.create({"charge": charge_id, "amount": 1500})
    mirror()
    return row(Charge, external_id=charge_id)


def _refused(resp, status: int, words: str, sb, calls_before: int) -> dict:
    assert resp.status_code == status, resp.json
    assert words in resp.json["message"], resp.json["message"]
    assert len(sb.request_log) == calls_before, "the gateway must not be called"
    assert session().query(ActionRun).count() == 0, "nothing may be written"
    return resp.json


def test_over_refund_is_422_with_what_is_left(ctx, account, sb, paid, act):
    calls = len(sb.request_log)
    body = _refused(act("refund", paid.id, params={"amount": 600}, reason="duplicate"), 422,
                    "at most $5.00", sb, calls)
    assert body["errors"]["amount"]


@pytest.mark.parametrize("params, field", [
    ({"amount": "5.00"}, "amount"), ({"amount": 0}, "amount"), ({"amount": 1.5}, "amount"),
    ({"amount": 100, "fee": 1}, "fee"), ({"currency": "EUR"}, "currency"),
])
def test_malformed_refund_params_are_422(ctx, account, sb, paid, act, params, field):
    calls = len(sb.request_log)
    resp = act("refund", paid.id, params=params, reason="duplicate")
    assert resp.status_code == 422 and len(sb.request_log) == calls
    assert field in str(resp.json["errors"])


@pytest.mark.parametrize("reason, note, words", [
    (None, None, "A reason is required"), ("angry", None, "Unknown reason"), ("other", None, "needs a note"),
])
def test_refunds_need_a_known_reason(ctx, account, sb, paid, act, reason, note, words):
    calls = len(sb.request_log)
    _refused(act("refund", paid.id, params={"amount": 100}, reason=reason, note=note), 422, words, sb, calls)


def test_reason_codes_are_configurable_per_account(ctx, account, paid, act):
    with transaction() as s:
        update_account_settings(s, account, {"reason_codes": ["goodwill", "late_delivery"]})
    assert act("refund", paid.id, params={"amount": 100}, reason="duplicate").status_code == 422
    accepted = act("refund", paid.id, params={"amount": 100}, reason="goodwill")
    assert accepted.status_code == 202 and accepted.json["reason"] == "goodwill"
    assert act("refund", paid.id, params={"amount": 100}, reason="other", note="VIP").status_code == 202


def test_capture_of_a_captured_charge_is_409(ctx, account, sb, paid, act):
    calls = len(sb.request_log)
    _refused(act("capture", paid.id), 409, "already been captured", sb, calls)
    _refused(act("void", paid.id), 409, "refund it instead", sb, calls)


def test_cancel_of_a_canceled_subscription_is_409(ctx, account, sb, shop, mirror, act):
    subscription = shop.subscription(shop.customer(), shop.price())
    shop.v1.subscriptions.cancel(subscription)
    mirror()
    calls = len(sb.request_log)
    target = row(Subscription, external_id=subscription).id
    _refused(act("cancel_subscription", target, reason="requested_by_customer"), 409, "already canceled", sb, calls)


def test_cancel_needs_a_reason_and_sane_options(ctx, account, sb, shop, mirror, act):
    target_ext = shop.subscription(shop.customer(), shop.price())
    mirror()
    target, calls = row(Subscription, external_id=target_ext).id, len(sb.request_log)
    _refused(act("cancel_subscription", target), 422, "reason is required", sb, calls)
    _refused(act("cancel_subscription", target, reason="other", note="moving", params={
        "at_period_end": True, "prorate": True}), 422, "prorate applies only", sb, calls)


def test_viewer_cannot_act(ctx, account, sb, paid, act, sidebar_agent):
    viewer = sidebar_agent("viewer")
    calls = len(sb.request_log)
    _refused(act("refund", paid.id, headers=viewer.headers, params={"amount": 100}, reason="duplicate"),
             403, "Viewers cannot act", sb, calls)


def test_targets_are_checked(ctx, account, sb, paid, act):
    calls = len(sb.request_log)
    _refused(act("refund", paid.id + 999, reason="duplicate"), 404, "No charge", sb, calls)
    _refused(act("refund", paid.id, target_type="customer", reason="duplicate"), 422, "applies to a charge", sb,
             calls)
    resp = act("teleport", paid.id)
    assert resp.status_code == 422 and "kind" in resp.json["errors"]["json"]
    customer = row(Customer, id=paid.customer_id)
    with transaction() as s:
        s.get(Customer, customer.id).deleted_at = s.get(Charge, paid.id).synced_at
    _refused(act("add_tax_id", customer.id, params={"type": "eu_vat", "value": "DE123456789"}), 409,
             "deleted", sb, calls)


def test_another_accounts_object_is_not_found(ctx, account, sb, paid, client):
    from backend.accounts import add_user, create_account
    from backend.auth.api_keys import create_api_key

    with transaction() as s:
        other = create_account(s, name="Other Co", slug="other")
        add_user(s, other, email="o@other.test", role="owner")
        _row, key = create_api_key(s, other)
    resp = client.post("/api/v1/actions", headers={"Authorization": f"Bearer {key}"},
                       json={"kind": "refund", "target": paid.id, "reason": "duplicate", "idempotency_key": "k1"})
    assert resp.status_code == 404


def test_missing_idempotency_key_is_422(ctx, account, paid, client, auth_headers):
    resp = client.post("/api/v1/actions", headers=auth_headers,
                       json={"kind": "refund", "target": paid.id, "reason": "duplicate"})
    assert resp.status_code == 422 and "idempotency_key" in resp.json["message"]
    with_header = client.post("/api/v1/actions", headers={**auth_headers, "Idempotency-Key": "hdr-1"},
                              json={"kind": "refund", "target": paid.id, "reason": "duplicate",
                                    "params": {"amount": 100}})
    assert with_header.status_code == 202 and with_header.json["idempotency_key"] == "hdr-1"


def test_runs_of_another_account_are_invisible(ctx, account, paid, act, client):
    from backend.accounts import add_user, create_account
    from backend.auth.api_keys import create_api_key

    run_id = act("refund", paid.id, params={"amount": 100}, reason="duplicate").json["id"]
    with transaction() as s:
        other = create_account(s, name="Other Co", slug="other")
        add_user(s, other, email="o@other.test", role="owner")
        _row, key = create_api_key(s, other)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/actions/{run_id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/actions/{run_id}/reject", json={}, headers=headers).status_code == 404
    assert client.get(f"/api/v1/customers/{paid.customer_id}/actions", headers=headers).status_code == 404
    assert client.get("/api/v1/actions", headers=headers).json["data"] == []


def test_a_ticket_id_must_be_an_id(ctx, account, paid, act):
    resp = act("refund", paid.id, params={"amount": 100}, reason="duplicate", source={"ticket_id": {"x": 1}})
    assert resp.status_code == 422 and "ticket_id" in resp.json["message"]

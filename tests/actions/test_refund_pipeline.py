"""A refund from click to gateway and back: real API, PostgreSQL, Redis, RQ worker, Stripe sandbox."""
import threading
import uuid

from backend.models import Charge, Customer, Refund
from tests.actions.conftest import audit_events, row, run_row, wait_status


def test_refund_moves_money_once_and_shows_at_once(ctx, account, shop, mirror, act, client, auth_headers,
                                                   rq_worker):
    customer = shop.customer()
    charge_id = shop.charge(customer, 2000)
    mirror()
    charge = row(Charge, external_id=charge_id)
    resp = act("refund", charge.id, params={"amount": 500}, reason="requested_by_customer",
               note="asked twice", source={"host": "zendesk", "ticket_id": 4711})
    assert resp.status_code == 202, resp.json
    run = resp.json
    assert run["status"] == "queued" and run["params"] == {"amount": 500, "currency": "USD", "full": False}
    assert run["requested_by"]["role"] == "owner" and run["source"]["ticket_id"] == "4711"

    rq_worker()
    done = wait_status(run["id"], "succeeded", "failed")
    assert done.status == "succeeded", done.error_message
    assert done.result["summary"] == "Refunded $5.00 of $20.00"

    refunds = shop.refunds_of(charge_id)
    assert [(r["amount"], r["metadata"]["chargedesk_key"]) for r in refunds] == [(500, run["id"])]
    mirrored = row(Refund, external_id=refunds[0]["id"])
    assert mirrored.action_run_id == run["id"] and mirrored.amount_minor == 500
    assert row(Charge, id=charge.id).amount_refunded_minor == 500
    assert audit_events(account.id, run["id"]) == ["action.requested", "action.started", "action.succeeded"]

    customer_id = row(Customer, external_id=customer).id
    listed = client.get(f"/api/v1/customers/{customer_id}/actions", headers=auth_headers).json["data"]
    assert [r["id"] for r in listed] == [run["id"]]
    assert client.get(f"/api/v1/actions/{run['id']}", headers=auth_headers).json["status"] == "succeeded"


def test_full_refund_without_amount_refunds_what_is_left(ctx, account, shop, mirror, act, rq_worker):
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    first = act("refund", row(Charge, external_id=charge_id).id, params={"amount": 300}, reason="duplicate")
    rq_worker()
    wait_status(first.json["id"], "succeeded")
    rest = act("refund", row(Charge, external_id=charge_id).id, reason="duplicate")
    assert rest.status_code == 202 and rest.json["params"]["amount"] == 1700
    wait_status(rest.json["id"], "succeeded")
    assert sorted(r["amount"] for r in shop.refunds_of(charge_id)) == [300, 1700]


def test_double_submit_with_one_key_is_one_refund(ctx, account, shop, mirror, act, rq_worker):
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    target, key = row(Charge, external_id=charge_id).id, str(uuid.uuid4())
    first = act("refund", target, params={"amount": 700}, reason="duplicate", idempotency_key=key)
    second = act("refund", target, params={"amount": 700}, reason="duplicate", idempotency_key=key)
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json["id"] == second.json["id"] and second.headers["Idempotent-Replayed"] == "true"
    rq_worker()
    wait_status(first.json["id"], "succeeded")
    assert [r["amount"] for r in shop.refunds_of(charge_id)] == [700]


def test_concurrent_double_click_creates_one_run(app, ctx, account, auth_headers, shop, mirror):
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    body = {"kind": "refund", "target": row(Charge, external_id=charge_id).id, "params": {"amount": 100},
            "reason": "duplicate", "idempotency_key": str(uuid.uuid4())}
    barrier, answers = threading.Barrier(4), []

    def click():
        barrier.wait()
        answers.append(app.test_client().post("/api/v1/actions", json=body, headers=auth_headers))

    threads = [threading.Thread(target=click) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 202]
    assert len({a.json["id"] for a in answers}) == 1


def test_same_key_for_another_action_is_refused(ctx, account, shop, mirror, act):
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    target, key = row(Charge, external_id=charge_id).id, str(uuid.uuid4())
    assert act("refund", target, params={"amount": 100}, reason="duplicate", idempotency_key=key).status_code == 202
    again = act("refund", target, params={"amount": 900}, reason="duplicate", idempotency_key=key)
    assert again.status_code == 422 and "already used" in again.json["message"]
    assert run_row(act("refund", target, reason="duplicate", params={"amount": 5}).json["id"]).status == "queued"

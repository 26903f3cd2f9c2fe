"""Refund limits count what the same user already refunded (issue 21.3), not each request alone.

A refund goes ahead alone only if it, plus the user's earlier refunds of the same charge (any
time), and plus their refunds in that currency in the last 24 hours, stays within the limit.
Queued, running, succeeded and still-pending runs count; failed and rejected ones do not.
"""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from backend.db import transaction
from backend.models import Account, ActionRun, Charge
from tests.actions.conftest import row


def _charge(shop, mirror, amount: int, currency: str = "usd") -> Charge:
    charge_id = shop.charge(shop.customer(), amount, currency)
    mirror()
    return row(Charge, external_id=charge_id)


def _refund(act, agent, charge: Charge, amount: int):
    return act("refund", charge.id, headers=agent.headers, params={"amount": amount}, reason="duplicate")


def _statuses(act, agent, charge: Charge, amounts: list[int]) -> list[str]:
    answers = [_refund(act, agent, charge, amount) for amount in amounts]
    assert all(a.status_code == 202 for a in answers), [a.json for a in answers]
    return [a.json["status"] for a in answers]


def test_split_refunds_of_one_charge_add_up_against_the_limit(ctx, account, shop, mirror, act, sidebar_agent):
    """The probe's case: a 20.00 limit, five 19.00 refunds of one 95.00 charge."""
    agent = sidebar_agent("agent", refund_limit_minor=2000)
    charge = _charge(shop, mirror, 9500)
    answers = [_refund(act, agent, charge, 1900) for _ in range(5)]
    assert [a.json["status"] for a in answers] == ["queued"] + ["pending_approval"] * 4
    reason = answers[1].json["result"]["pending_reason"]
    assert "$19.00 with the $19.00 you already refunded of this charge" in reason and "$20.00" in reason


def test_refunds_of_different_charges_add_up_over_24_hours(ctx, account, shop, mirror, act, sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=2000)
    first, second = _charge(shop, mirror, 5000), _charge(shop, mirror, 5000)
    assert _statuses(act, agent, first, [1500]) == ["queued"]
    assert _statuses(act, agent, second, [500, 1]) == ["queued", "pending_approval"]
    reason = run_reason(act, agent, second, 1)
    assert "you refunded in the last 24 hours" in reason


def run_reason(act, agent, charge, amount) -> str:
    return _refund(act, agent, charge, amount).json["result"]["pending_reason"]


def test_older_refunds_leave_the_day_but_stay_on_their_charge(ctx, account, shop, mirror, act, sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=1000)
    old, new = _charge(shop, mirror, 5000), _charge(shop, mirror, 5000)
    earlier = _refund(act, agent, old, 1000).json["id"]
    with transaction() as s:  # as if it had been submitted yesterday
        s.execute(update(ActionRun).where(ActionRun.id == earlier)
                  .values(created_at=ActionRun.created_at - timedelta(hours=24, seconds=1)))
    assert _statuses(act, agent, new, [1000]) == ["queued"]
    assert _statuses(act, agent, old, [1]) == ["pending_approval"]


def test_failed_and_rejected_runs_do_not_count_pending_ones_do(ctx, account, shop, mirror, act, client, auth_headers,
                                                               sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=1000)
    charge = _charge(shop, mirror, 9000)
    waiting = _refund(act, agent, charge, 1500).json
    assert waiting["status"] == "pending_approval"
    assert _statuses(act, agent, charge, [1]) == ["pending_approval"]  # the waiting 15.00 counts
    for run in client.get("/api/v1/actions?status=pending_approval", headers=auth_headers).json["data"]:
        assert client.post(f"/api/v1/actions/{run['id']}/reject", json={}, headers=auth_headers).status_code == 200
    queued = _refund(act, agent, charge, 1000).json
    assert queued["status"] == "queued"
    with transaction() as s:  # the gateway refused it: a failed run moved no money
        s.execute(update(ActionRun).where(ActionRun.id == queued["id"]).values(status="failed"))
    assert _statuses(act, agent, charge, [1000, 1]) == ["queued", "pending_approval"]


def test_another_users_refunds_do_not_count(ctx, account, shop, mirror, act, sidebar_agent):
    ann, bob = sidebar_agent("agent", refund_limit_minor=1000), sidebar_agent("agent", refund_limit_minor=1000)
    charge = _charge(shop, mirror, 5000)
    assert _statuses(act, ann, charge, [1000]) == ["queued"]
    assert _statuses(act, bob, charge, [1000]) == ["queued"]


def test_simultaneous_refunds_by_one_agent_cannot_both_use_the_allowance(app, ctx, account, shop, mirror,
                                                                         sidebar_agent):
    agent = sidebar_agent("agent", refund_limit_minor=1000)
    charge = _charge(shop, mirror, 9000)
    barrier, answers = threading.Barrier(4), []

    def click() -> None:
        body = {"kind": "refund", "target": charge.id, "params": {"amount": 500}, "reason": "duplicate",
                "idempotency_key": str(uuid.uuid4())}
        barrier.wait()
        answers.append(app.test_client().post("/api/v1/actions", json=body, headers=agent.headers))

    threads = [threading.Thread(target=click) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(a.json["status"] for a in answers) == ["pending_approval"] * 2 + ["queued"] * 2


# Limits in each currency's minor units: JPY has none, USD two digits, KWD three.
@pytest.mark.parametrize("currency, limit", [("JPY", 2000), ("USD", 2000), ("KWD", 20000)])
def test_limit_and_refundable_boundaries(ctx, account, shop, mirror, act, auth_headers, sidebar_agent,
                                         currency, limit):
    with transaction() as s:
        s.execute(update(Account).where(Account.id == account.id).values(default_currency=currency))
    charge = _charge(shop, mirror, 3 * limit, currency.lower())
    at, below, above = (sidebar_agent("agent", refund_limit_minor=limit) for _ in range(3))
    assert _statuses(act, at, charge, [limit, 1]) == ["queued", "pending_approval"]
    assert _statuses(act, below, charge, [limit - 1, 1, 1]) == ["queued", "queued", "pending_approval"]
    assert _statuses(act, above, charge, [limit + 1]) == ["pending_approval"]

    refundable = 3 * limit  # nothing has reached the gateway yet: no worker runs in this test
    too_much = act("refund", charge.id, headers=auth_headers, params={"amount": refundable + 1}, reason="duplicate")
    assert too_much.status_code == 422 and "at most" in too_much.json["message"]
    for amount in (refundable, refundable - 1):  # the owner has no limit: only the charge caps them
        resp = act("refund", charge.id, headers=auth_headers, params={"amount": amount}, reason="duplicate")
        assert resp.status_code == 202 and resp.json["status"] == "queued", resp.json

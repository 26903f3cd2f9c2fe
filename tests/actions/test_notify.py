"""After a success, a private note on the ticket: its own job, never touching the money action."""
import pytest

from backend.actions import notify
from backend.actions.pipeline import execute_run
from backend.integrations import helpdesks
from backend.integrations.helpdesks import HelpdeskError
from backend.db import transaction
from backend.integrations.helpdesks.zendesk.client import note_marker
from backend.models import ActionRun, Charge
from tests.actions.conftest import row, run_row
from tests.actions.fake_helpdesk import FakeHelpdesk
from tests.conftest import wait_for


@pytest.fixture
def fakedesk(monkeypatch):
    monkeypatch.setitem(helpdesks._CLIENTS, "fakedesk", "tests.actions.fake_helpdesk:FakeHelpdesk")
    FakeHelpdesk.notes, FakeHelpdesk.failure = [], None
    yield FakeHelpdesk
    FakeHelpdesk.failure = None


@pytest.fixture
def refunded(ctx, account, shop, mirror, act, sidebar_agent, fakedesk):
    """A $5.00 refund requested from ticket 981 in the fakedesk sidebar, executed in-process."""
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    agent = sidebar_agent("agent", name="Ann Agent", host="fakedesk")
    resp = act("refund", row(Charge, external_id=charge_id).id, headers=agent.headers, params={"amount": 500},
               reason="requested_by_customer", note="double charged", source={"ticket_id": "981"})
    assert resp.json["source"] == {"host": "fakedesk", "ticket_id": "981", "installation_id": agent.installation_id,
                                   "ip": "127.0.0.1"}
    execute_run(resp.json["id"])
    run = run_row(resp.json["id"])
    assert run.status == "succeeded" and run.result["note"] == {"status": "pending", "attempts": 0}
    return run, agent


def test_note_is_posted_on_the_ticket(refunded, fakedesk):
    run, agent = refunded
    notify.post_run_note(run.id)
    assert fakedesk.notes == [(agent.installation_id, "981",
                               "Refunded $5.00 of $20.00 — requested_by_customer: double charged — by Ann Agent")]
    assert run_row(run.id).result["note"] == {"status": "posted", "attempts": 1}
    notify.post_run_note(run.id)  # a duplicate job does not post twice
    assert len(fakedesk.notes) == 1


def test_helpdesk_failure_is_retried_then_recorded_but_the_refund_stands(refunded, fakedesk):
    run, _agent = refunded
    fakedesk.failure = HelpdeskError("Zendesk is down", retryable=True)
    for attempt in range(1, notify.MAX_NOTE_ATTEMPTS):
        with pytest.raises(HelpdeskError):
            notify.post_run_note(run.id)  # re-raised so RQ retries it with backoff
        assert run_row(run.id).result["note"]["status"] == "retrying"
    notify.post_run_note(run.id)  # the last attempt records the failure and stops
    after = run_row(run.id)
    assert after.status == "succeeded" and after.result["summary"] == "Refunded $5.00 of $20.00"
    assert after.result["note"] == {"status": "failed", "attempts": notify.MAX_NOTE_ATTEMPTS,
                                    "error": "Zendesk is down"}
    assert fakedesk.notes == []


@pytest.fixture
def zendesk():
    from backend.integrations.helpdesks.zendesk.emulator import ZendeskEmulator

    with ZendeskEmulator() as emulator:
        yield emulator


def test_note_lands_on_the_zendesk_ticket_through_the_worker(ctx, account, shop, mirror, act, sidebar_agent,
                                                             zendesk, rq_worker):
    """Real worker, real zenpy client, the loopback Zendesk: the agent sees the note on the ticket."""
    zendesk.register_client("chargedesk", "s3cret")
    zd_agent = zendesk.add_user("acme", email="ann@acme.test", name="Ann Agent")
    ticket = zendesk.add_ticket("acme", subject="Charged twice")
    tokens = zendesk.issue_tokens("acme", user_id=zd_agent.id, client_id="chargedesk")
    agent = sidebar_agent("agent", name="Ann Agent", installation={
        "external_id": "acme", "credentials": tokens, "settings": {"api_base": zendesk.base_url("acme")}})
    charge_id = shop.charge(shop.customer(), 2000)
    mirror()
    resp = act("refund", row(Charge, external_id=charge_id).id, headers=agent.headers, params={"amount": 2000},
               reason="duplicate", source={"ticket_id": ticket})
    rq_worker()
    wait_for(lambda: (run_row(resp.json["id"]).result or {}).get("note", {}).get("status") == "posted",
             message="the note to be posted")
    comments = zendesk.state.tickets[("acme", ticket)].comments
    assert len(comments) == 1 and comments[0]["public"] is False
    marker = note_marker(resp.json["id"])  # the run id is the note's idempotency key
    assert comments[0]["body"] == f"Refunded $20.00 of $20.00 — duplicate — by Ann Agent\n\n[{marker}]"

    with transaction() as s:  # the note was posted but its "posted" was lost: the job runs again
        s.get(ActionRun, resp.json["id"]).result = dict(run_row(resp.json["id"]).result, note={"status": "retrying"})
    notify.post_run_note(resp.json["id"])
    assert len(zendesk.state.tickets[("acme", ticket)].comments) == 1
    assert run_row(resp.json["id"]).result["note"]["status"] == "posted"

"""A whole refund as Intercom drives it: Initialize -> Refund -> confirm -> result ->
refresh, against the Stripe sandbox (through the real SDK) with a real RQ worker; one refund lands at
the gateway and one internal note in the Intercom emulator. Every canvas is schema-checked."""
from __future__ import annotations

from sqlalchemy import select

from backend.db import session
from backend.models import ActionRun, Charge
from tests.actions.conftest import Shop, connection, mirror, sandbox, sb, shop  # noqa: F401 - fixtures
from tests.conftest import wait_for

from .conftest import CONVERSATION, Intercom, components, ids, texts


def test_a_refund_from_the_intercom_inbox_lands_once_with_one_note(client, installation, intercom, ic_admin, shop,
                                                                  mirror, rq_worker):
    customer = shop.customer("ada@example.com")
    charge_id = shop.charge(customer, 2000)
    mirror()
    charge = session().scalars(select(Charge).where(Charge.external_id == charge_id)).one()
    with intercom.state.lock:  # the conversation Intercom's inbox has open
        from backend.integrations.helpdesks.intercom.emulator.state import Conversation

        intercom.state.conversations[CONVERSATION] = Conversation(id=CONVERSATION, contact_id=None, title=None,
                                                                  body="Charged twice", created_at=0)
    rq_worker()

    ic = Intercom(client, ic_admin)
    first = ic.initialize()
    assert "$20.00" in texts(first) and f"act:refund:charge:{charge.id}" in ids(first)
    confirm = ic.click(f"act:refund:charge:{charge.id}")  # the refund button of the first canvas
    amount = next(c for c in components(confirm) if c.get("id") == "amount")
    assert amount["value"] == "20.00"
    stored = ic.stored
    result = ic.click("confirm", amount="7.50", reason="duplicate", note="charged twice")
    ic.stored = stored
    ic.click("confirm", amount="7.50", reason="duplicate", note="charged twice")  # a double click
    ic.stored = result["canvas"]["stored_data"]
    assert "refresh" in ids(result)

    run = wait_for(lambda: (r := session().scalars(select(ActionRun)).one()) and session().refresh(r) is None
                   and r.status == "succeeded" and r, timeout=30, message="the refund run to succeed")
    assert [r["amount"] for r in shop.refunds_of(charge_id)] == [750]
    assert "succeeded" in texts(ic.click("refresh"))
    notes = wait_for(lambda: intercom.notes(CONVERSATION), timeout=30, message="the note in Intercom")
    assert len(notes) == 1 and "$7.50" in notes[0]["body"] and "duplicate" in notes[0]["body"]
    assert notes[0]["author"]["id"] == ic_admin
    assert session().scalars(select(ActionRun)).all() == [run]

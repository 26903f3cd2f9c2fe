"""Initialize and Submit: signed Canvas Kit requests in, canvases out (every one schema-checked)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.db import session, transaction
from backend.models import ActionRun, AgentIdentity, User

from .conftest import CONVERSATION, Intercom, canvas_body, check_canvas, components, ids, sign, texts

# Nominal heights (px) of Canvas Kit components in the inbox, to keep the first canvas near 400 px.
HEIGHTS = {"text": 24, "button": 44, "divider": 17, "spacer": 8}
ITEM, ROW = 52, 26


def height(data: dict) -> int:
    total = 0
    for c in components(data):
        if c["type"] == "list":
            total += ITEM * len(c["items"])
        elif c["type"] == "data-table":
            total += ROW * len(c["items"])
        else:
            total += HEIGHTS.get(c["type"], 60)
    return total


def runs() -> int:
    return session().scalar(select(func.count()).select_from(ActionRun))


def test_initialize_shows_the_latest_billing_within_400_px(client, installation, ic_admin, billing):
    data = Intercom(client, ic_admin).initialize()
    shown = texts(data)
    assert "Ada Lovelace" in shown and "ada@example.com" in shown
    assert "$20.00" in shown and "$49.00" in shown and "$7.00" not in shown  # the latest few, then "more"
    assert "Pro" in shown
    assert "more" in ids(data) and height(data) <= 400
    assert f"act:refund:charge:{billing['small'][1]}" in ids(data)  # the latest refundable charge
    assert data["canvas"]["stored_data"]["customer_id"] == billing["customer_id"]


def test_more_shows_everything_and_back_returns(client, installation, ic_admin, billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    more = ic.click("more")
    assert "$7.00" in texts(more) and "back" in ids(more)
    assert "more" in ids(ic.click("back"))


def test_a_charge_opens_with_buttons_for_allowed_actions(client, installation, ic_admin, billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    charge = ic.click(f"open:charge:{billing['small'][1]}")
    assert f"act:refund:charge:{billing['small'][1]}" in ids(charge)
    assert "Refundable: $20.00" in texts(charge)


def test_confirm_canvas_is_prefilled_and_a_double_submit_makes_one_run(client, installation, ic_admin, billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    ic.click(f"open:charge:{billing['small'][1]}")
    confirm = ic.click(f"act:refund:charge:{billing['small'][1]}")
    fields = {c["id"]: c for c in components(confirm) if c.get("id")}
    assert fields["amount"]["value"] == "20.00" and "USD" in fields["amount"]["label"]
    assert [o["id"] for o in fields["reason"]["options"]][-1] == "other"
    assert "confirm" in ids(confirm) and runs() == 0
    stored = ic.stored
    first = ic.click("confirm", amount="5.00", reason="duplicate", note="asked twice")
    ic.stored = stored  # Intercom's inbox sends the confirm canvas again (double click)
    second = ic.click("confirm", amount="5.00", reason="duplicate", note="asked twice")
    assert runs() == 1
    run = session().scalars(select(ActionRun)).one()
    assert (run.kind, run.params["amount"], run.reason_code) == ("refund", 500, "duplicate")
    assert (run.source or {}).get("ticket_id") == CONVERSATION and run.source.get("host") == "intercom"
    for result in (first, second):
        assert "refresh" in ids(result) and "Refund:" in texts(result)


def test_an_amount_above_what_is_refundable_is_canvas_text_and_nothing_is_written(client, installation, ic_admin,
                                                                                  billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    ic.click(f"act:refund:charge:{billing['small'][1]}")
    again = ic.click("confirm", amount="25.00", reason="duplicate")
    errors = [c["text"] for c in components(again) if c["type"] == "text" and c.get("style") == "error"]
    assert errors and runs() == 0
    bad = ic.click("confirm", amount="twelve", reason="duplicate")
    assert "Enter the amount" in texts(bad) and runs() == 0


def test_refresh_reports_the_run_and_only_for_its_agent(client, installation, ic_admin, billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    ic.click(f"act:refund:charge:{billing['small'][1]}")
    ic.click("confirm", amount="1.00", reason="duplicate")
    with transaction() as s:
        run = s.scalars(select(ActionRun)).one()
        run.status, run.result = "succeeded", {"summary": "Refunded $1.00 of $20.00"}
    assert "Refunded $1.00 of $20.00" in texts(ic.click("refresh"))
    forged = dict(ic.stored, run={"d": {"run": "x"}, "s": "0" * 64})
    ic.stored = forged
    assert "out of date" in texts(ic.click("refresh"))


def test_a_stale_or_forged_pending_action_submits_nothing(client, installation, ic_admin, billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    ic.click(f"act:refund:charge:{billing['small'][1]}")
    ic.stored["pending"]["d"]["target_id"] = billing["large"][1]  # a teammate cannot retarget it
    assert "out of date" in texts(ic.click("confirm", amount="1.00", reason="duplicate"))
    assert runs() == 0


def test_several_matches_show_the_chooser_and_a_pick_opens_that_customer(client, installation, ic_admin, billing):
    other, other_id = billing["mirror"].customer(billing["conn"], "ada@work.example", name="Ada at Work")
    billing["mirror"].charge(billing["conn"], other, 3100)
    ic = Intercom(client, ic_admin, emails=("ada@example.com", "ada@work.example"))
    chooser = ic.initialize()
    assert "2 billing customers match" in texts(chooser)
    assert {f"pick:{billing['customer_id']}", f"pick:{other_id}"} <= set(ids(chooser))
    picked = ic.click(f"pick:{other_id}")
    assert "$31.00" in texts(picked) and picked["canvas"]["stored_data"]["customer_id"] == other_id


def test_no_match_and_no_email_are_canvas_text(client, installation, ic_admin, billing):
    assert "No billing customer found" in texts(Intercom(client, ic_admin, emails=("nobody@example.com",)).initialize())
    assert "no email" in texts(Intercom(client, ic_admin, emails=()).initialize())


def test_unknown_teammate_is_provisioned_from_the_api_by_email(client, installation, intercom, billing):
    teammate = intercom.add_admin(email="New.Agent@Acme.test", name="New Agent")
    data = Intercom(client, teammate, admin_email="spoofed@acme.test").initialize()
    assert "Read only" not in texts(data) and "more" in ids(data)
    user = session().scalars(select(User).where(User.email == "new.agent@acme.test")).one()
    assert user.role == "agent"
    identity = session().scalars(select(AgentIdentity).where(AgentIdentity.user_id == user.id)).one()
    assert identity.external_user_id == teammate


def test_without_api_access_an_unknown_teammate_reads_only(client, installation, intercom, billing):
    with transaction() as s:
        row = s.get(type(installation), installation.id)
        row.credentials = {"client_secret": row.credentials["client_secret"]}
    ic = Intercom(client, "99999")
    data = ic.initialize()
    assert "Read only" in texts(data) and "$20.00" in texts(data)
    assert not [i for i in ids(data) if i.startswith("act:")]
    charge = ic.click(f"open:charge:{billing['small'][1]}")
    assert not [i for i in ids(charge) if i.startswith("act:")]
    refused = ic.click(f"act:refund:charge:{billing['small'][1]}")
    assert "cannot start" in texts(refused) and "confirm" not in ids(refused)
    assert session().scalar(select(func.count()).select_from(User).where(User.email == "olga@acme.test")) == 0


@pytest.mark.parametrize("case", ["unsigned", "tampered", "other_secret", "unknown_workspace", "not_json"])
def test_refused_requests_are_401_with_no_data_and_store_nothing(client, installation, intercom, billing, case):
    teammate = intercom.add_admin(email="eve@acme.test", name="Eve")
    body = canvas_body(admin_id=teammate)
    headers = {"Content-Type": "application/json", "X-Body-Signature": sign(body)}
    if case == "unsigned":
        headers.pop("X-Body-Signature")
    elif case == "tampered":
        body = body.replace(b"ada@example.com", b"bob@example.com")
    elif case == "other_secret":
        headers["X-Body-Signature"] = sign(body, "another-apps-secret")
    elif case == "unknown_workspace":
        body = canvas_body(admin_id=teammate, workspace="ws-unknown")
        headers["X-Body-Signature"] = sign(body)
    else:
        body = b"not json"
        headers["X-Body-Signature"] = sign(body)
    users = session().scalar(select(func.count()).select_from(User))
    for path in ("/sidebar/intercom/initialize", "/sidebar/intercom/submit"):
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == 401 and response.get_data() == b""
    assert session().scalar(select(func.count()).select_from(User)) == users
    assert session().scalars(select(User).where(User.email == "eve@acme.test")).first() is None


def test_a_signed_but_odd_submit_is_canvas_text(client, installation, ic_admin, billing):
    ic = Intercom(client, ic_admin)
    ic.initialize()
    for component in ("nonsense", "open:charge:999999", "pick:abc", "act:refund:charge:x", "confirm", "refresh"):
        assert "out of date" in texts(ic.click(component)) or "cannot start" in texts(ic.last)
    assert runs() == 0


def test_oversized_body_is_a_413(client, installation):
    response = client.post("/sidebar/intercom/initialize", data=b"x" * (300 * 1024),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_disconnected_installation_says_so_in_the_canvas(client, installation, ic_admin, billing):
    with transaction() as s:
        s.get(type(installation), installation.id).status = "reconnect_required"
    data = check_canvas(client.post("/sidebar/intercom/initialize", data=(body := canvas_body(admin_id=ic_admin)),
                                    headers={"X-Body-Signature": sign(body), "Content-Type": "application/json"}))
    assert "reconnect" in texts(data) and "$20.00" not in texts(data)

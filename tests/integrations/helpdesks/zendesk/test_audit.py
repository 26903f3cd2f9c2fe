"""What the Zendesk integration changes is on the account's audit chain, and the chain holds."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit import verify_chain
from backend.db import session, transaction
from backend.integrations.helpdesks import HelpdeskError
from backend.integrations.helpdesks.zendesk.installations import post_private_note
from backend.models import Account, AuditEntry, HelpdeskInstallation, User

from .conftest import SUBDOMAIN, csrf_from, oauth_sign_in


def entries(account_id: int) -> list[AuditEntry]:
    session().expire_all()
    return list(session().scalars(select(AuditEntry).where(AuditEntry.account_id == account_id)
                                  .order_by(AuditEntry.seq)))


def test_new_account_and_its_owner_are_audited(client, zendesk, ctx):
    admin = zendesk.add_user(SUBDOMAIN, email="ada@acme.test", name="Ada", role="admin")
    oauth_sign_in(client, zendesk, subdomain=SUBDOMAIN, user_id=admin.id)
    account = session().scalars(select(Account)).one()
    log = entries(account.id)
    assert [e.event for e in log] == ["account.created", "settings.user_added"]
    created, owner_added = log
    assert (owner_added.details["email"], owner_added.details["role"]) == ("ada@acme.test", "owner")
    assert (created.subject_type, created.details["subdomain"]) == ("account", "acme")
    assert created.actor["helpdesk"]["external_user_id"] == str(admin.id)
    assert verify_chain(session(), account.id).ok


def test_provisioning_settings_changes_and_reconnects_are_audited(app, client, connected, zendesk, account):
    baseline = len(entries(account.id))
    agent = zendesk.add_user(SUBDOMAIN, email="ann@acme.test", name="Ann", role="agent")
    token = zendesk.signed_url_token(SUBDOMAIN, app_id=connected.app_id,
                                     app_installation_id=connected.app_installation_id, user_id=agent.id)
    assert client.post("/sidebar/zendesk", data={"token": token}).status_code == 200

    browser = app.test_client()
    oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=connected.admin_zendesk_id)
    ann = session().scalars(select(User).where(User.email == "ann@acme.test")).one()
    page = browser.get("/admin")
    browser.post(f"/admin/users/{ann.id}", data={"role": "agent", "refund_limit": "20",
                                                 "csrf_token": csrf_from(page.text)})
    zendesk.revoke(SUBDOMAIN)
    with pytest.raises(HelpdeskError):
        post_private_note(installation_id=connected.installation.id, ticket_id=str(zendesk.add_ticket(SUBDOMAIN)),
                          body="x")
    log = entries(account.id)[baseline:]
    assert [e.event for e in log] == ["settings.user_added", "agent_identity.linked", "settings.user_changed",
                                      "helpdesk.reconnect_required"]
    added, linked, changed, reconnect = log
    assert added.details["role"] == "agent" and added.actor["helpdesk"]["external_user_id"] == str(agent.id)
    assert linked.details["zendesk_user_id"] == str(agent.id) and linked.source["via"] == "sidebar"
    assert changed.details["before"]["refund_limit_minor"] is None
    assert changed.details["after"] == {"role": "agent", "refund_limit_minor": 2000}
    assert changed.actor_user_id == session().scalars(select(User.id).where(User.role == "owner")).one()
    assert reconnect.subject_id == str(connected.installation.id)
    assert verify_chain(session(), account.id).ok


def test_reconnect_audit_is_skipped_not_deadlocked_when_the_chain_is_locked(connected, zendesk, account):
    """A caller holding the account's audit lock must not hang the side transaction."""
    from backend.audit.chain import lock_account

    baseline = len(entries(account.id))
    zendesk.revoke(SUBDOMAIN)
    with transaction() as s:
        lock_account(s, account.id)
        with pytest.raises(HelpdeskError):
            post_private_note(installation_id=connected.installation.id,
                              ticket_id=str(zendesk.add_ticket(SUBDOMAIN)), body="x")
    assert len(entries(account.id)) == baseline
    session().expire_all()
    assert session().get(HelpdeskInstallation, connected.installation.id).status == "reconnect_required"

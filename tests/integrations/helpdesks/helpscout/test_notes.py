"""Notes through the registry for a stored installation: once per retry, tokens refreshed and saved,
a revoked grant marks the installation for a reconnect."""
from __future__ import annotations

import pytest

from backend.db import session
from backend.integrations.helpdesks import HelpdeskError, post_private_note
from backend.models import HelpdeskInstallation

from .conftest import APP_SECRET_KEY


def stored(installation_id: int) -> HelpdeskInstallation:
    session().expire_all()
    return session().get(HelpdeskInstallation, installation_id)


def test_a_retried_note_job_posts_once(installation, configured):
    conversation = configured.add_conversation(customer_email="ada@example.com")
    for _attempt in range(2):  # e.g. the job posted, then died before recording it
        post_private_note("helpscout", installation_id=installation.id, ticket_id=str(conversation),
                          body="Refunded $5.00 of $20.00 — duplicate — by Olga Owner")
    assert len(configured.notes(conversation)) == 1


def test_an_expired_token_is_refreshed_and_saved_with_the_secret_key(installation, configured):
    conversation = configured.add_conversation()
    old = stored(installation.id).credentials["access_token"]
    configured.advance_clock(172_800 + 60)
    post_private_note("helpscout", installation_id=installation.id, ticket_id=str(conversation), body="Voided")
    row = stored(installation.id)
    assert row.credentials["access_token"] != old and row.credentials["secret_key"] == APP_SECRET_KEY
    assert row.token_expires_at is not None and row.status == "active"
    assert [r["grant_type"] for r in configured.token_requests] == ["refresh_token"]
    assert len(configured.notes(conversation)) == 1


def test_a_revoked_grant_marks_the_installation(installation, configured, hs_admin):
    conversation = configured.add_conversation()
    configured.revoke(hs_admin.id)
    with pytest.raises(HelpdeskError) as revoked:
        post_private_note("helpscout", installation_id=installation.id, ticket_id=str(conversation), body="x")
    assert revoked.value.reconnect and not revoked.value.retryable
    assert stored(installation.id).status == "reconnect_required"
    assert configured.notes(conversation) == []

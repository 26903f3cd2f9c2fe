"""One document per money event, gapless numbers, issued from the shared upsert path."""
from __future__ import annotations

import pytest
from redis import Redis
from rq import Queue

from backend.db import session
from backend.documents.hooks import issue_job_id
from backend.documents.issue import DocumentError, issue_receipt
from backend.documents.tasks import issue_document
from backend.models import Charge
from tests.conftest import REDIS_URL

from .conftest import HISTORY, charge, customer, documents, refund, write


def _queued_job_ids(app) -> set[str]:
    queue = Queue(app.config["SETTINGS"].queue_name, connection=Redis.from_url(REDIS_URL))
    return set(queue.job_ids)


def test_upsert_queues_a_receipt_only_for_live_succeeded_charges_after_commit(app, connection):
    write(connection, customer(), charge("ch_live"), charge("ch_failed", status="failed"),
          charge("ch_old", when=HISTORY))
    assert _queued_job_ids(app) == {issue_job_id("receipt", connection.id, "ch_live")}


def test_a_backfill_page_of_history_queues_nothing(app, connection):
    write(connection, customer(), charge("ch_old", when=HISTORY), refund("re_old", "ch_old", 100, when=HISTORY),
          want_ids=False)
    assert _queued_job_ids(app) == set()


def test_rolled_back_upsert_queues_nothing(app, connection):
    from backend.sync.upsert import upsert_records

    s = session()
    upsert_records(s, s.get(type(connection), connection.id), [customer(), charge("ch_live")])
    s.rollback()
    write(connection, customer())
    assert _queued_job_ids(app) == set()


def test_receipt_job_issues_one_numbered_receipt_and_replays_are_no_ops(app, connection):
    write(connection, customer(), charge("ch_1"), charge("ch_2", 500))
    first = issue_document(["receipt", connection.id, "ch_1"])
    again = issue_document(["receipt", connection.id, "ch_1"])
    issue_document(["receipt", connection.id, "ch_2"])
    write(connection, charge("ch_1"))  # a duplicate webhook: already has its document, nothing queued again
    receipts = documents("receipt")
    assert first == again
    assert [(d.number, d.display_number, d.total_minor) for d in receipts] == [
        (1, f"R-{receipts[0].created_at.year}-000001", 12000), (2, f"R-{receipts[0].created_at.year}-000002", 500)]
    assert all(d.storage_key and d.rendered_at for d in receipts)


def test_refund_before_its_charge_waits_then_credit_note_references_the_receipt(app, connection):
    write(connection, customer(), refund("re_1", "ch_1", 2000))  # out of order: the charge is not there yet
    with pytest.raises(DocumentError) as err:
        issue_document(["credit_note", connection.id, "re_1"])
    assert err.value.retryable
    write(connection, charge("ch_1"))
    note_id = issue_document(["credit_note", connection.id, "re_1"])
    receipt, note = documents("receipt")[0], documents("credit_note")[0]
    assert note.id == note_id and note.reverses_document_id == receipt.id
    assert note.content["reverses"]["number"] == receipt.display_number
    assert (note.number, note.display_number.startswith("CN-"), note.total_minor) == (1, True, 2000)
    assert issue_document(["receipt", connection.id, "ch_1"]) == receipt.id  # the charge's own job: no second one


def test_refused_charges_and_custom_formats(app, connection):
    from backend.db import transaction
    from backend.models import Account

    with transaction() as s:
        s.get(Account, connection.account_id).settings = {"documents": {"receipt_format": "ACME/{seq:04d}"}}
    write(connection, customer(), charge("ch_pending", status="pending"), charge("ch_ok"))
    with pytest.raises(DocumentError):
        issue_receipt(session(), session().query(Charge).filter_by(external_id="ch_pending").one(), auto_send=False)
    assert issue_document(["receipt", connection.id, "ch_pending"]) is None
    issue_document(["receipt", connection.id, "ch_ok"])
    assert [d.display_number for d in documents()] == ["ACME/0001"]


def test_a_refund_that_gave_up_waiting_is_picked_up_by_its_charge_receipt(app, connection):
    write(connection, customer(), refund("re_1", "ch_1", 2000))
    with pytest.raises(DocumentError):
        issue_document(["credit_note", connection.id, "re_1"])  # its last retry: the charge is still missing
    Queue(app.config["SETTINGS"].queue_name, connection=Redis.from_url(REDIS_URL)).empty()  # that job is over
    write(connection, charge("ch_1"))
    assert _queued_job_ids(app) == {issue_job_id("receipt", connection.id, "ch_1")}
    issue_document(["receipt", connection.id, "ch_1"])
    assert issue_job_id("credit_note", connection.id, "re_1") in _queued_job_ids(app)
    issue_document(["credit_note", connection.id, "re_1"])  # what the queued job does
    assert [d.kind for d in documents()] == ["credit_note", "receipt"]

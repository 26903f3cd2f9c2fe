"""The reply loop's first half: a ticket subject or message names the document (and so the charge)."""
from __future__ import annotations

from backend.accounts import create_account
from backend.db import session, transaction
from backend.documents.lookup import candidate_numbers, documents_mentioned
from backend.documents.tasks import issue_document

from .conftest import charge, customer, documents, write


def test_a_reply_subject_finds_the_document_of_this_account_only(app, connection):
    write(connection, customer(), charge("ch_1"), charge("ch_2"))
    issue_document(["receipt", connection.id, "ch_1"])
    issue_document(["receipt", connection.id, "ch_2"])
    first, second = documents("receipt")
    subject = f"Re: Your receipt {second.display_number} from Acme Inc"
    assert documents_mentioned(session(), connection.account_id, subject) == [second]
    body = f"Hello, about {first.display_number}, and also {second.display_number}."
    assert [d.id for d in documents_mentioned(session(), connection.account_id, "Re: help", body)] == [
        first.id, second.id]
    with transaction() as s:
        other = create_account(s, name="Other", slug="other")
    assert documents_mentioned(session(), other.id, subject) == []
    assert documents_mentioned(session(), connection.account_id, "Re: R-1999-000001, order 12") == []


def test_candidates_ignore_words_without_digits_and_trailing_punctuation():
    assert candidate_numbers("Re: Receipt R-2026-000042. Thanks!") == ["R-2026-000042"]
    assert candidate_numbers("") == [] and len(candidate_numbers(" ".join(f"A{i}x" for i in range(500)))) == 100

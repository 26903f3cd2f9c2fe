"""Error logs never print the bound parameters of a failed statement (issue 21, section 6)."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend import db

AMOUNT, EMAIL = 987654321, "ada.lovelace@example.com"
FAILING = text("SELECT CAST(:email AS text) || (1 / (CAST(:amount_minor AS bigint) - CAST(:amount_minor AS bigint)))")


def test_a_failed_statement_does_not_show_its_parameters(app):
    with db.engine_of(app).connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(FAILING, {"email": EMAIL, "amount_minor": AMOUNT})
    message = str(caught.value)
    assert "division by zero" in message
    assert EMAIL not in message and str(AMOUNT) not in message and "hidden" in message


def test_a_500_logs_the_statement_without_its_money_or_identity_values(client, auth_headers, monkeypatch, caplog):
    from backend.api import customers

    def failing_detail(scope, customer):
        db.session().execute(FAILING, {"email": EMAIL, "amount_minor": AMOUNT})

    monkeypatch.setattr(customers, "customer_detail", failing_detail)
    monkeypatch.setattr(customers.TenantScope, "get", lambda self, model, ident: object())
    with caplog.at_level(logging.ERROR):
        resp = client.get("/api/v1/customers/1", headers=auth_headers)
    assert resp.status_code == 500 and resp.get_json()["message"]
    assert "division by zero" in caplog.text  # the error is logged ...
    assert EMAIL not in caplog.text and str(AMOUNT) not in caplog.text  # ... without the values

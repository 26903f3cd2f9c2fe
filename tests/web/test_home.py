"""The public home page says nothing about the tenants of the instance (issue 21, section 6)."""
from __future__ import annotations

import re

from backend.accounts import add_user, create_account
from backend.db import transaction

from tests.api.test_customers_api import _mirror


def test_home_page_shows_no_instance_wide_counts(client, account):
    _mirror(account)
    with transaction() as s:
        other = create_account(s, name="Globex Corp", slug="globex")
        add_user(s, other, email="owner@globex.test", role="owner")
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "ChargeDesk" in html
    for word in ("Accounts", "Connections", "Customers", "Charges", "Globex", "Acme"):
        assert word not in html, word
    assert not re.search(r"<td>\s*\d+\s*</td>", html)  # no numbers in a table

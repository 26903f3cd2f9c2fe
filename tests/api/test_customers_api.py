"""GET /api/v1/customers over the mirror, scoped to the key's account."""
import pytest

from backend.accounts import create_account
from backend.auth.api_keys import create_api_key
from backend.db import transaction
from backend.integrations.gateways.records import (
    ChargeRecord, ChargeStatus, CustomerRecord, InvoiceLineRecord, InvoiceRecord, InvoiceStatus, RefundRecord,
    RefundStatus, SubscriptionRecord, SubscriptionStatus, TaxIdRecord, TaxLineRecord,
)
from backend.models import GatewayConnection
from backend.sync.upsert import upsert_records


def _mirror(account, email="ada@example.com", suffix=""):
    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": "sk_test_x"})
        s.add(conn)
        s.flush()
        upsert_records(s, conn, [
            CustomerRecord(external_id=f"cus_1{suffix}", email=email, name="Ada", emails=("ada@work.example",)),
            ChargeRecord(external_id=f"ch_1{suffix}", customer_external_id=f"cus_1{suffix}", amount=2000,
                         currency="usd", status=ChargeStatus.SUCCEEDED, raw_status="succeeded",
                         amount_captured=2000, amount_refunded=500, card_brand="visa", card_last4="4242"),
            RefundRecord(external_id=f"re_1{suffix}", charge_external_id=f"ch_1{suffix}", amount=500, currency="USD",
                         status=RefundStatus.SUCCEEDED, raw_status="succeeded"),
            SubscriptionRecord(external_id=f"sub_1{suffix}", customer_external_id=f"cus_1{suffix}",
                               status=SubscriptionStatus.ACTIVE, raw_status="active", plan_name="Pro",
                               amount=4900, currency="USD", interval="month"),
            InvoiceRecord(external_id=f"in_1{suffix}", customer_external_id=f"cus_1{suffix}", status=InvoiceStatus.PAID,
                          raw_status="paid", currency="EUR", number="INV-1", subtotal=1000, tax=190, total=1190,
                          lines=(InvoiceLineRecord(description="Pro plan", amount=1000),),
                          tax_lines=(TaxLineRecord(name="VAT", rate_percent="19", amount=190),)),
            TaxIdRecord(external_id=f"txi_1{suffix}", customer_external_id=f"cus_1{suffix}", type="eu_vat",
                        value="DE123456789", country="DE"),
        ])
    return conn


def test_find_by_any_email_and_read_history(client, account, auth_headers):
    _mirror(account)
    found = client.get("/api/v1/customers?email=ADA@work.example", headers=auth_headers).get_json()["data"]
    assert [c["external_id"] for c in found] == ["cus_1"]
    detail = client.get(f"/api/v1/customers/{found[0]['id']}", headers=auth_headers).get_json()
    charge = detail["charges"][0]
    assert (charge["amount"], charge["amount_refunded"], charge["amount_refundable"]) == (2000, 500, 1500)
    assert (charge["currency"], charge["card_brand"], charge["card_last4"], charge["status"]) == ("USD", "visa", "4242", "succeeded")
    assert detail["refunds"][0]["external"] is True
    assert detail["subscriptions"][0]["plan_name"] == "Pro"
    invoice = detail["invoices"][0]
    assert invoice["tax_lines"][0]["amount"] == 190 and invoice["lines"][0]["description"] == "Pro plan"
    assert detail["tax_ids"][0]["value"] == "DE123456789"


def test_another_accounts_customers_are_invisible(client, account, auth_headers, ctx):
    with transaction() as s:
        other = create_account(s, name="Other")
    conn = _mirror(other, suffix="x")
    assert client.get("/api/v1/customers?email=ada@example.com", headers=auth_headers).get_json()["data"] == []
    from backend.db import session
    from backend.models import Customer
    other_customer = session().query(Customer).filter_by(connection_id=conn.id).one()
    assert client.get(f"/api/v1/customers/{other_customer.id}", headers=auth_headers).status_code == 404


@pytest.mark.parametrize("query,status", [("email=not-an-email", 422), ("limit=0", 422), ("limit=abc", 422)])
def test_bad_queries_are_4xx_json(client, auth_headers, query, status):
    resp = client.get(f"/api/v1/customers?{query}", headers=auth_headers)
    assert resp.status_code == status and resp.get_json()["message"]


def test_pagination(client, account, auth_headers):
    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": "k"})
        s.add(conn)
        s.flush()
        upsert_records(s, conn, [CustomerRecord(external_id=f"cus_{i}", email=f"c{i}@x.test") for i in range(5)])
    first = client.get("/api/v1/customers?limit=3", headers=auth_headers).get_json()
    second = client.get(f"/api/v1/customers?limit=3&after={first['next_after']}", headers=auth_headers).get_json()
    assert len(first["data"]) == 3 and len(second["data"]) == 2 and second["next_after"] is None

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from backend import crypto
from backend.accounts import create_account
from backend.db import session, transaction
from backend.models import Customer, GatewayConnection
from backend.tenancy import TenantScope


def _connection(s, account_id, secret="sk_test_secret_value"):
    conn = GatewayConnection(account_id=account_id, kind="stripe", credentials={"api_key": secret},
                             webhook_secrets=["whsec_abc"])
    s.add(conn)
    s.flush()
    return conn


def test_scope_never_returns_another_accounts_rows(ctx):
    with transaction() as s:
        a = create_account(s, name="A")
        b = create_account(s, name="B")
        conn_a, conn_b = _connection(s, a.id), _connection(s, b.id)
        cust_a = Customer(account_id=a.id, connection_id=conn_a.id, external_id="cus_1", email="x@example.com")
        cust_b = Customer(account_id=b.id, connection_id=conn_b.id, external_id="cus_1", email="x@example.com")
        s.add_all([cust_a, cust_b])
    scope_a = TenantScope(session(), a.id)
    assert [c.id for c in scope_a.all(Customer, Customer.email == "x@example.com")] == [cust_a.id]
    assert scope_a.get(Customer, cust_b.id) is None
    assert scope_a.get(Customer, cust_a.id).id == cust_a.id
    with pytest.raises(ValueError):
        TenantScope(session(), None)


def test_secrets_are_not_readable_in_the_raw_table(ctx):
    with transaction() as s:
        acct = create_account(s, name="Crypto Co")
        conn = _connection(s, acct.id, secret="sk_test_very_secret_123")
    raw = session().execute(text("SELECT credentials, webhook_secrets FROM gateway_connections WHERE id=:i"),
                            {"i": conn.id}).one()
    assert "sk_test_very_secret_123" not in raw[0] and "whsec_abc" not in raw[1]
    assert raw[0].startswith("gAAAA")  # a Fernet token
    session().expire_all()
    assert session().get(GatewayConnection, conn.id).credentials == {"api_key": "sk_test_very_secret_123"}


def test_key_rotation_keeps_old_secrets_readable(ctx, app_settings):
    with transaction() as s:
        acct = create_account(s, name="Rotate Co")
        conn = _connection(s, acct.id, secret="sk_test_rotate")
    old_key = app_settings["ENCRYPTION_KEY"]
    new_key = Fernet.generate_key().decode()
    try:
        crypto.configure((new_key, old_key))
        session().expire_all()
        row = session().get(GatewayConnection, conn.id)
        assert row.credentials["api_key"] == "sk_test_rotate"  # decrypts with the old key
        token = session().execute(text("SELECT credentials FROM gateway_connections WHERE id=:i"), {"i": conn.id}).scalar()
        rotated = crypto.keyring().rotate(token)
        assert Fernet(new_key.encode()).decrypt(rotated.encode())  # now under the new key
        crypto.configure((new_key,))
        with pytest.raises(crypto.DecryptionError):
            crypto.keyring().decrypt(token)  # the old token is unreadable without the old key
    finally:
        crypto.configure((old_key,))

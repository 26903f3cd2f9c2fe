"""The demo's embedded default: SQLite and the in-process job thread run the same pipeline."""
from sqlalchemy import create_engine, select

from backend import create_app, jobs, schema
from backend.accounts import add_user, create_account
from backend.auth.api_keys import create_api_key
from backend.db import session, transaction
from backend.models import ActionRun, AuditEntry, Charge, GatewayConnection
from backend.sync.backfill import sync_connection_now
from tests.actions.conftest import API_KEY


def test_refund_on_sqlite_with_the_in_process_worker(app_settings, tmp_path, shop):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    schema.upgrade(create_engine(url))
    embedded = create_app(dict(app_settings, DATABASE_URL=url, REDIS_URL=""))
    charge_id = shop.charge(shop.customer(), 2000)
    with embedded.app_context():
        with transaction() as s:
            account = create_account(s, name="Demo", slug="demo")
            add_user(s, account, email="owner@demo.test", role="owner")
            _row, key = create_api_key(s, account)
            conn = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": API_KEY},
                                     api_base=shop.sb.url)
            s.add(conn)
        sync_connection_now(conn.id)
        target = session().scalars(select(Charge.id).where(Charge.external_id == charge_id)).one()
    resp = embedded.test_client().post("/api/v1/actions", headers={"Authorization": f"Bearer {key}"}, json={
        "kind": "refund", "target": target, "params": {"amount": 250}, "reason": "duplicate",
        "idempotency_key": "demo-1"})
    assert resp.status_code == 202, resp.json
    with embedded.app_context():
        jobs.backend().drain()
        run = session().get(ActionRun, resp.json["id"])
        assert run.status == "succeeded", run.error_message
        events = list(session().scalars(select(AuditEntry.event).order_by(AuditEntry.seq)))
        assert events[-3:] == ["action.requested", "action.started", "action.succeeded"]
        from backend.audit import verify_chain

        assert verify_chain(session(), account.id).ok
    assert [r["amount"] for r in shop.refunds_of(charge_id)] == [250]

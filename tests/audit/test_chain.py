"""The hash chain: gapless per account under concurrency, and any change to a row is detected."""
import threading

from sqlalchemy import select, text

from backend import audit
from backend.accounts import add_user, create_account, update_user
from backend.db import session, transaction
from backend.models import AuditEntry, User
from tests.conftest import run_cli

ACTOR = {"kind": "api_key", "role": "owner", "name": "API key tests", "user_id": 1}


def _append(account_id: int, n: int) -> None:
    with transaction() as s:
        audit.append(s, account_id=account_id, event="action.requested", actor=ACTOR, reason="duplicate",
                     subject_type="action_run", subject_id=f"run-{n}", customer_id=7,
                     details={"kind": "refund", "params": {"amount": 100 + n, "currency": "USD"}},
                     source={"host": "zendesk", "ticket_id": str(n), "ip": "127.0.0.1"})


def test_entries_chain_from_zero_and_verify(ctx, account):
    for n in range(3):
        _append(account.id, n)
    entries = list(session().scalars(select(AuditEntry).where(AuditEntry.account_id == account.id)
                                     .order_by(AuditEntry.seq)))
    assert [e.seq for e in entries] == [1, 2, 3, 4]  # 1 is the owner being added by the fixture
    assert entries[0].prev_hash == audit.ZERO_HASH
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in zip(entries, entries[1:]))
    assert audit.verify_chain(session(), account.id).line() == "ok: 4 entries"


def test_concurrent_appends_stay_gapless(app, ctx, account):
    def worker(base):
        with app.app_context():
            for n in range(5):
                _append(account.id, base + n)

    threads = [threading.Thread(target=worker, args=(i * 10,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    seqs = list(session().scalars(select(AuditEntry.seq).where(AuditEntry.account_id == account.id)
                                  .order_by(AuditEntry.seq)))
    assert seqs == list(range(1, 32))
    assert audit.verify_chain(session(), account.id).ok


def test_append_writes_pending_changes_before_it_locks_and_returns_the_stored_entry(ctx, account):
    """The lock must be the transaction's last lock: what the caller added goes in before it."""
    with transaction() as s:
        pending = User(account_id=account.id, email="pending@acme.test", role="agent")
        s.add(pending)
        entry = audit.append(s, account_id=account.id, event="settings.user_added", actor=ACTOR,
                             subject_type="user", subject_id="pending", details={"role": "agent"})
        assert pending.id is not None  # flushed by append, before the account lock
    stored = session().get(AuditEntry, entry.id)
    assert (stored.seq, stored.event, stored.details) == (2, "settings.user_added", {"role": "agent"})
    assert stored.entry_hash == entry.entry_hash == audit.entry_hash(stored)


def test_each_account_has_its_own_chain(ctx, account):
    with transaction() as s:
        other = create_account(s, name="Other", slug="other")
        add_user(s, other, email="o@other.test", role="owner")
    _append(account.id, 1)
    assert audit.verify_chain(session(), other.id).line() == "ok: 1 entries"
    assert audit.verify_chain(session(), account.id).line() == "ok: 2 entries"


def test_settings_changes_are_audited_with_before_and_after(ctx, account):
    with transaction() as s:
        user = add_user(s, account, email="ann@acme.test", role="agent", refund_limit_minor=5000,
                        actor={"kind": "session", "name": "Olga Owner", "user_id": 1})
        update_user(s, account, user, role="admin", refund_limit_minor=None, actor={"kind": "session", "user_id": 1})
        update_user(s, account, s.get(User, user.id), role="admin")  # no change, no entry
    entries = list(session().scalars(select(AuditEntry).where(AuditEntry.account_id == account.id)
                                     .order_by(AuditEntry.seq)))
    assert [e.event for e in entries] == ["settings.user_added", "settings.user_added", "settings.user_changed"]
    changed = entries[-1]
    assert changed.details["before"] == {"role": "agent", "refund_limit_minor": 5000}
    assert changed.details["after"] == {"role": "admin", "refund_limit_minor": None}
    assert changed.actor_user_id == 1 and changed.subject_id == str(user.id)


def _tamper(sql: str, **params) -> None:
    with transaction() as s:
        s.execute(text(sql), params)


def test_verify_cli_reports_ok(ctx, account, worker_env):
    _append(account.id, 1)
    result = run_cli(["audit", "verify", "acme"], worker_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ok: 2 entries"


def test_verify_cli_finds_a_changed_amount(ctx, account, worker_env):
    for n in range(3):
        _append(account.id, n)
    _tamper("UPDATE audit_entries SET details = jsonb_set(details, '{params,amount}', '1') "
            "WHERE account_id = :a AND seq = 3", a=account.id)
    result = run_cli(["audit", "verify", str(account.id)], worker_env)
    assert result.returncode == 1
    assert "broken at seq 3" in result.stderr and "changed after it was written" in result.stderr


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(ctx, account, worker_env):
    """A forger who recomputes the changed row's own hash is caught by the entry after it."""
    for n in range(3):
        _append(account.id, n)
    _tamper("UPDATE audit_entries SET reason = 'fraudulent' WHERE account_id = :a AND seq = 2", a=account.id)
    session().expire_all()
    forged = session().scalars(select(AuditEntry).where(AuditEntry.account_id == account.id,
                                                        AuditEntry.seq == 2)).one()
    _tamper("UPDATE audit_entries SET entry_hash = :h WHERE id = :id", h=audit.entry_hash(forged), id=forged.id)
    result = run_cli(["audit", "verify", "acme"], worker_env)
    assert result.returncode == 1
    assert "broken at seq 3" in result.stderr and "an earlier entry was changed" in result.stderr


def test_verify_finds_a_deleted_entry(ctx, account):
    for n in range(3):
        _append(account.id, n)
    _tamper("DELETE FROM audit_entries WHERE account_id = :a AND seq = 2", a=account.id)
    report = audit.verify_chain(session(), account.id)
    assert (report.ok, report.broken_seq) == (False, 3) and "missing" in report.problem


def test_verify_of_an_unknown_account_is_one_line_error(ctx, account, worker_env):
    result = run_cli(["audit", "verify", "nope"], worker_env)
    assert result.returncode == 1 and result.stderr.startswith("chargedesk: error: no account")


def test_append_does_not_wait_for_a_transaction_that_references_the_account(ctx, account, database_url):
    """Inserting a row that references the account (an action run ...) takes FOR KEY SHARE on the
    account row. The chain's lock must not conflict with it, or two transactions that each insert
    and then audit deadlock (issue 21): here the other transaction holds its KEY SHARE throughout."""
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as other:
        other.execute("SELECT id FROM accounts WHERE id = %s FOR KEY SHARE", (account.id,))
        with transaction() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            _append_in(s, account.id, 99)
        other.rollback()
    assert audit.verify_chain(session(), account.id).line() == "ok: 2 entries"


def _append_in(s, account_id: int, n: int) -> None:
    audit.append(s, account_id=account_id, event="action.requested", actor=ACTOR, reason="duplicate",
                 subject_type="action_run", subject_id=f"run-{n}", details={"kind": "refund"})

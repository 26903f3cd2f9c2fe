"""List commands through the real script: tab-separated rows, or --json for scripts; never secrets."""
import json
from datetime import datetime

import pytest

from tests.conftest import run_cli


@pytest.fixture
def cli_env(worker_env, account):
    return worker_env


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed_json(args, env) -> list[dict]:
    return json.loads(ok(run_cli([*args, "--json"], env)))


def add_connection(account, kind="stripe", name="Main Stripe"):
    from backend.db import transaction
    from backend.models import GatewayConnection

    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind=kind, name=name, credentials={"api_key": "sk_secret_x"},
                                 api_base="http://127.0.0.1:9/")
        s.add(conn)
    return conn.id


def test_account_list(cli_env):
    ok(run_cli(["account", "create", "Globex Corp", "--currency", "EUR"], cli_env))
    rows = listed_json(["account", "list"], cli_env)
    assert [(r["slug"], r["currency"]) for r in rows] == [("acme", "USD"), ("globex-corp", "EUR")]
    assert datetime.fromisoformat(rows[0]["created_at"]).utcoffset() is not None
    lines = ok(run_cli(["account", "list"], cli_env)).strip().splitlines()
    assert lines[1].split("\t")[1:4] == ["globex-corp", "Globex Corp", "EUR"]


def test_user_list(cli_env):
    ok(run_cli(["user", "add", "acme", "agent@acme.test", "--role", "agent", "--refund-limit", "50"], cli_env))
    rows = listed_json(["user", "list", "acme"], cli_env)
    assert [(r["email"], r["role"], r["refund_limit_minor"]) for r in rows] == [
        ("owner@acme.test", "owner", None), ("agent@acme.test", "agent", 5000)]
    assert "agent@acme.test\tagent" in ok(run_cli(["user", "list", "acme"], cli_env))


def test_apikey_list_shows_prefix_created_last_used_never_the_key(cli_env):
    key = ok(run_cli(["apikey", "create", "acme", "--name", "zapier"], cli_env)).strip().splitlines()[-1]
    rows = listed_json(["apikey", "list", "acme"], cli_env)
    assert len(rows) == 1 and key.startswith(f"cdk_{rows[0]['prefix']}")
    assert rows[0]["name"] == "zapier" and rows[0]["last_used_at"] is None and rows[0]["status"] == "active"
    assert datetime.fromisoformat(rows[0]["created_at"]).utcoffset() is not None
    text = ok(run_cli(["apikey", "list", "acme"], cli_env))
    assert key not in text and rows[0]["prefix"] in text
    ok(run_cli(["apikey", "revoke", rows[0]["prefix"]], cli_env))
    assert listed_json(["apikey", "list", "acme"], cli_env)[0]["status"] == "revoked"


def test_connection_list_never_shows_credentials(cli_env, account):
    conn_id = add_connection(account)
    rows = listed_json(["connection", "list", "acme"], cli_env)
    assert rows == [{"id": conn_id, "kind": "stripe", "name": "Main Stripe", "status": "active",
                     "last_synced_at": None, "api_base": "http://127.0.0.1:9/"}]
    text = ok(run_cli(["connection", "list", "acme"], cli_env))
    assert text.startswith(f"{conn_id}\tstripe\tMain Stripe") and "sk_secret_x" not in text


def test_helpdesk_list_json(cli_env):
    assert listed_json(["helpdesk", "list", "acme"], cli_env) == []


@pytest.mark.parametrize("args,empty", [
    (["apikey", "list", "acme"], "no API keys in acme"),
    (["connection", "list", "acme"], "no gateway connections in acme"),
    (["helpdesk", "list", "acme"], "no helpdesk installations in acme"),
])
def test_empty_lists_say_so(cli_env, args, empty):
    assert ok(run_cli(args, cli_env)).strip() == empty
    assert listed_json(args, cli_env) == []


@pytest.mark.parametrize("group", ["user", "apikey", "connection", "helpdesk"])
def test_unknown_account_is_one_line(cli_env, group):
    result = run_cli([group, "list", "nobody"], cli_env)
    assert result.returncode == 1 and result.stderr.strip() == "chargedesk: error: no account with id or slug 'nobody'"


def test_sync_background_without_redis_refuses(cli_env, account):
    conn_id = add_connection(account)
    env = {k: v for k, v in cli_env.items() if k != "CHARGEDESK_REDIS_URL"}
    result = run_cli(["sync", str(conn_id), "--background"], env)
    assert result.returncode == 1 and "queued" not in result.stdout
    assert "background jobs need CHARGEDESK_REDIS_URL" in result.stderr

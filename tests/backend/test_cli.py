"""The real `chargedesk` script: ids on the last line, errors as one line on stderr."""
import pytest
from sqlalchemy import create_engine, inspect

from backend.models import Base
from tests.conftest import run_cli


@pytest.fixture
def cli_env(worker_env, app):
    return worker_env


def _one_error_line(result):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chargedesk: error:"), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_help_lists_commands(cli_env):
    out = run_cli(["--help"], cli_env).stdout
    for name in ("demo", "serve", "worker", "db", "account", "user", "apikey"):
        assert f"  {name} " in out


def test_account_user_apikey_flow(cli_env):
    created = run_cli(["account", "create", "Globex Corp"], cli_env)
    assert created.returncode == 0, created.stderr
    account_id = created.stdout.strip().splitlines()[-1]
    assert account_id.isdigit()
    user = run_cli(["user", "add", "globex-corp", "Agent@Globex.test", "--role", "agent", "--refund-limit", "50.00"], cli_env)
    assert user.returncode == 0 and user.stdout.strip().splitlines()[-1].isdigit()
    key = run_cli(["apikey", "create", account_id], cli_env)
    assert key.returncode == 0 and key.stdout.strip().splitlines()[-1].startswith("cdk_")


def test_user_limit_stored_in_minor_units(cli_env, ctx):
    from backend.db import session
    from backend.models import User

    run_cli(["account", "create", "Yen Shop", "--currency", "JPY"], cli_env)
    run_cli(["user", "add", "yen-shop", "a@yen.test", "--role", "agent", "--refund-limit", "5000"], cli_env)
    assert session().query(User).one().refund_limit_minor == 5000


@pytest.mark.parametrize("args,needle", [
    (["user", "add", "nope", "a@b.test", "--role", "agent"], "no account"),
    (["account", "create", ""], "must not be empty"),
    (["account", "create", "X", "--currency", "DOLLARS"], "invalid currency"),
    (["user", "add", "acme", "not-an-email", "--role", "agent"], "invalid email"),
    (["user", "add", "acme", "a@b.test", "--role", "king"], "'king' is not one of"),
    (["user", "add", "acme", "a@b.test", "--role", "agent", "--refund-limit", "ten"], "--refund-limit"),
    (["apikey", "revoke", "zzz"], "no API key"),
    (["account"], "missing command; choose one of: create"),
    (["bogus"], "No such command"),
])
def test_bad_input_is_one_clear_line(cli_env, args, needle):
    run_cli(["account", "create", "Acme", "--slug", "acme"], cli_env)
    line = _one_error_line(run_cli(args, cli_env))
    assert needle.lower() in line.lower()


def test_duplicate_slug_is_refused_and_nothing_written(cli_env, ctx):
    from backend.db import session
    from backend.models import Account

    assert run_cli(["account", "create", "Acme", "--slug", "acme"], cli_env).returncode == 0
    _one_error_line(run_cli(["account", "create", "Acme Two", "--slug", "acme"], cli_env))
    assert session().query(Account).count() == 1


def test_missing_secret_outside_demo_stops_with_one_line(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if k != "CHARGEDESK_SECRET_KEY"}
    env.update(CHARGEDESK_ENV="production", CHARGEDESK_INSTANCE_PATH=str(tmp_path))
    assert "SECRET_KEY is not set" in _one_error_line(run_cli(["serve"], env))
    env.update(CHARGEDESK_SECRET_KEY="k" * 40, CHARGEDESK_ENCRYPTION_KEY="garbage")
    assert "ENCRYPTION_KEY is malformed" in _one_error_line(run_cli(["db", "upgrade"], env))


def test_db_upgrade_builds_schema_on_empty_sqlite(cli_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = run_cli(["db", "upgrade"], dict(cli_env, CHARGEDESK_DATABASE_URL=url))
    assert result.returncode == 0, result.stderr
    assert set(inspect(create_engine(url)).get_table_names()) >= set(Base.metadata.tables)


def test_db_upgrade_builds_schema_on_empty_postgres(cli_env):
    import secrets

    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = f"chargedesk_empty_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        result = run_cli(["db", "upgrade"], dict(cli_env, CHARGEDESK_DATABASE_URL=url))
        assert result.returncode == 0, result.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
        engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_unreachable_database_is_one_line(cli_env):
    env = dict(cli_env, CHARGEDESK_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert "cannot use the database" in _one_error_line(run_cli(["account", "create", "X"], env))

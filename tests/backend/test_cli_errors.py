"""Every CLI error is one line on stderr with a non-zero exit, through the real console script."""
import secrets

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL, run_cli


@pytest.fixture
def cli_env(worker_env, app):
    return worker_env


def one_error_line(result) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chargedesk: error:"), result.stderr
    return lines[0]


@pytest.mark.parametrize("bind", ["127.0.0.1:abc", "127.0.0.1:99999", "127.0.0.1:-1", ":8000"])
def test_bad_bind_is_refused_before_start(cli_env, bind):
    assert "--bind" in one_error_line(run_cli(["serve", "--bind", bind], cli_env, timeout=20))


def test_a_file_that_is_not_a_zip(cli_env, tmp_path):
    fake = tmp_path / "app.zip"
    fake.write_text("not a zip")
    assert "not a zip file" in one_error_line(run_cli(["apps", "validate", "zendesk", str(fake)], cli_env))


@pytest.mark.parametrize("url,needle", [
    ("garbage", "CHARGEDESK_DATABASE_URL is malformed"),
    ("postgresql://a:b@db:notaport/x", "CHARGEDESK_DATABASE_URL is malformed"),
    ("mysql://user@db/chargedesk", "unsupported database 'mysql'"),
    ("oracle://user@db/chargedesk", "unsupported database 'oracle'"),
])
def test_malformed_or_unsupported_database_url(cli_env, url, needle):
    env = dict(cli_env, CHARGEDESK_DATABASE_URL=url)
    assert needle in one_error_line(run_cli(["account", "create", "X"], env))


@pytest.mark.parametrize("url,needle", [
    ("redis://127.0.0.1:1/0", "cannot use Redis"),
    ("http://127.0.0.1:6379", "CHARGEDESK_REDIS_URL is malformed"),
])
def test_redis_unreachable_or_malformed(cli_env, url, needle):
    env = dict(cli_env, CHARGEDESK_REDIS_URL=url)
    assert needle in one_error_line(run_cli(["worker", "--burst"], env))


def test_unmigrated_sqlite_says_run_db_upgrade(cli_env, tmp_path):
    env = dict(cli_env, CHARGEDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert "run `chargedesk db upgrade`" in one_error_line(run_cli(["account", "create", "X"], env))


@pytest.mark.parametrize("command", [["serve", "--bind", "127.0.0.1:0"], ["worker", "--burst"]])
def test_serve_and_worker_refuse_an_unmigrated_database(cli_env, tmp_path, command):
    env = dict(cli_env, CHARGEDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert "run `chargedesk db upgrade`" in one_error_line(run_cli(command, env, timeout=30))


def test_unmigrated_postgres_says_run_db_upgrade(cli_env):
    name = f"chargedesk_unmigrated_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        env = dict(cli_env, CHARGEDESK_DATABASE_URL=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
        assert "run `chargedesk db upgrade`" in one_error_line(run_cli(["account", "create", "X"], env))
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_alembic_info_lines_only_with_verbose(cli_env, tmp_path):
    env = dict(cli_env, CHARGEDESK_DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    quiet = run_cli(["db", "upgrade"], env)
    assert quiet.returncode == 0, quiet.stderr
    assert "alembic" not in quiet.stderr + quiet.stdout
    env["CHARGEDESK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    loud = run_cli(["--verbose", "db", "upgrade"], env)
    assert loud.returncode == 0 and "alembic" in loud.stderr


def test_no_tab_characters_in_help(cli_env):
    for args in (["--help"], ["connect", "--help"], ["helpdesk", "add", "--help"], ["serve", "--help"]):
        assert "\t" not in run_cli(args, cli_env).stdout
    for kind in ("stripe", "braintree", "recurly"):
        assert "\t" not in run_cli(["connect", kind, "--help"], cli_env).stdout

"""Secrets for `connect` and `helpdesk add` from a flag, stdin (`-`), a file or the environment."""
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import REPO, run_cli

KEY = "sk_test_from_somewhere_safe_0123"


@pytest.fixture
def cli_env(worker_env, account):
    return worker_env


def run_with_stdin(args, env, stdin: str):
    exe = Path(sys.executable).with_name("chargedesk")
    return subprocess.run([str(exe), *args], env=env, cwd=REPO, input=stdin, capture_output=True, text=True,
                          timeout=60)


def stored_connection():
    from backend.db import session
    from backend.models import GatewayConnection

    session().expire_all()
    return session().scalars(select(GatewayConnection)).one()


CONNECT = ["connect", "stripe", "acme", "--no-verify"]


@pytest.mark.parametrize("how", ["flag", "stdin", "file", "env"])
def test_connect_api_key_from_each_source(cli_env, tmp_path, how):
    env, args, stdin = dict(cli_env), list(CONNECT), ""
    secret_file = tmp_path / "whsec.txt"
    secret_file.write_text("whsec_one\nwhsec_two\n")
    args += ["--webhook-secret-file", str(secret_file)]
    if how == "flag":
        args += ["--api-key", KEY]
    elif how == "stdin":
        args, stdin = args + ["--api-key", "-"], KEY + "\n"
    elif how == "file":
        (tmp_path / "key").write_text(KEY + "\n")
        args += ["--api-key-file", str(tmp_path / "key")]
    else:
        env["CHARGEDESK_STRIPE_API_KEY"] = KEY
    result = run_with_stdin(args, env, stdin)
    assert result.returncode == 0, result.stderr
    conn = stored_connection()
    assert conn.credentials["api_key"] == KEY and conn.webhook_secrets == ["whsec_one", "whsec_two"]
    assert KEY not in result.stdout


def test_webhook_secret_from_env(cli_env):
    env = dict(cli_env, CHARGEDESK_STRIPE_WEBHOOK_SECRET="whsec_env")
    result = run_cli([*CONNECT, "--api-key", KEY], env)
    assert result.returncode == 0, result.stderr
    assert stored_connection().webhook_secrets == ["whsec_env"]


@pytest.mark.parametrize("extra,stdin,needle", [
    ([], "", "missing --api-key: give --api-key VALUE, --api-key - (stdin), --api-key-file PATH, "
             "or set CHARGEDESK_STRIPE_API_KEY"),
    (["--api-key", "-"], "\n", "--api-key is empty"),
    (["--api-key", "x", "--api-key-file", "/etc/hostname"], "", "not both"),
    (["--api-key-file", "/nonexistent/key"], "", "cannot read --api-key-file /nonexistent/key"),
    (["--api-key", "-", "--webhook-secret", "-"], KEY, "only one option can read stdin"),
])
def test_bad_secret_input_is_one_line_and_stores_nothing(cli_env, extra, stdin, needle):
    from backend.db import session
    from backend.models import GatewayConnection

    result = run_with_stdin([*CONNECT, *extra], cli_env, stdin)
    assert result.returncode == 1, result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chargedesk: error:") and needle in line, line
    assert session().scalars(select(GatewayConnection)).all() == []


def test_helpdesk_secret_from_file_and_stdin(cli_env, tmp_path):
    from backend.db import session
    from backend.models import HelpdeskInstallation

    (tmp_path / "hs").write_text("helpscout-secret-key-123\n")
    result = run_cli(["helpdesk", "add", "helpscout", "acme", "--secret-key-file", str(tmp_path / "hs")], cli_env)
    assert result.returncode == 0, result.stderr
    installation = session().scalars(select(HelpdeskInstallation)).one()
    assert "helpscout-secret-key-123" in str(installation.credentials.values())
    missing = run_with_stdin(["helpdesk", "add", "helpscout", "acme"], cli_env, "")
    assert missing.returncode == 1 and "CHARGEDESK_HELPSCOUT_SECRET_KEY" in missing.stderr

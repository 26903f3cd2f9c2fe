"""`chargedesk helpdesk add intercom ACCOUNT --workspace-id W --client-secret S [--api-base URL]` (the real
console script): prints the Initialize and Submit URLs and the id; a canvas request signed with that
secret reaches the installation it made; bad options are one-line errors that store nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import run_cli

from .conftest import check_canvas, sign, texts

URL_LINE = re.compile(r"^(?P<what>[^:]+): (?P<url>https?://\S+)$")


def installations():
    from backend.db import session
    from backend.models import HelpdeskInstallation

    session().expire_all()
    return list(session().scalars(select(HelpdeskInstallation)))


def test_add_prints_initialize_and_submit_urls_then_the_id(worker_env, account, app_settings, client):
    result = run_cli(["helpdesk", "add", "intercom", "acme", "--workspace-id", "ws-by-hand",
                      "--client-secret", "cli-client-secret", "--api-base", "http://127.0.0.1:9/"], worker_env)
    assert result.returncode == 0, result.stderr
    *url_lines, last = result.stdout.strip().splitlines()
    (stored,) = installations()
    assert last == str(stored.id)
    urls = dict(URL_LINE.match(line).group("what", "url") for line in url_lines)
    base = app_settings["BASE_URL"].rstrip("/")
    assert urls["initialize URL"] == f"{base}/sidebar/intercom/initialize"
    assert urls["submit URL"] == f"{base}/sidebar/intercom/submit"
    assert (stored.kind, stored.external_id, stored.credentials["client_secret"], stored.settings["api_base"]) == (
        "intercom", "ws-by-hand", "cli-client-secret", "http://127.0.0.1:9")
    body = (b'{"workspace_id": "ws-by-hand", "admin": {"type": "admin", "id": "77"}, '
            b'"contact": {"email": "nobody@example.com"}, "context": {"conversation_id": "5"}}')
    answer = client.post("/sidebar/intercom/initialize", data=body,
                         headers={"X-Body-Signature": sign(body, "cli-client-secret")})
    assert "No billing customer found" in texts(check_canvas(answer))
    refused = client.post("/sidebar/intercom/initialize", data=body, headers={"X-Body-Signature": sign(body)})
    assert refused.status_code == 401


@pytest.mark.parametrize("flags, complaint", [
    (["--client-secret", "cli-client-secret"], "--workspace-id"),
    (["--workspace-id", "ws x", "--client-secret", "cli-client-secret"], "--workspace-id"),
    (["--workspace-id", "ws-1", "--client-secret", "short"], "--client-secret"),
    (["--workspace-id", "ws-1", "--client-secret", "cli-client-secret", "--region", "mars"], "--region"),
    (["--workspace-id", "ws-1", "--client-secret", "cli-client-secret", "--api-base", "ftp://x"], "--api-base"),
])
def test_bad_options_are_one_line_errors_and_store_nothing(worker_env, account, flags, complaint):
    result = run_cli(["helpdesk", "add", "intercom", "acme", *flags], worker_env)
    assert result.returncode != 0 and result.stdout == ""
    assert complaint in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    assert installations() == []


def test_the_same_workspace_twice_is_refused(worker_env, account):
    args = ["helpdesk", "add", "intercom", "acme", "--workspace-id", "ws-1", "--client-secret", "cli-client-secret"]
    assert run_cli(args, worker_env).returncode == 0
    again = run_cli(args, worker_env)
    assert again.returncode != 0 and "already installed" in again.stderr
    assert len(installations()) == 1

"""`chargedesk helpdesk add helpscout ACCOUNT --secret-key S [--api-base URL]` (the real console script),
then a dynamic-app load signed with that secret reaches the installation it made."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import run_cli

URL_LINE = re.compile(r"^(?P<what>[^:]+): (?P<url>https?://\S+)$")


def installations():
    from backend.db import session
    from backend.models import HelpdeskInstallation

    session().expire_all()
    return list(session().scalars(select(HelpdeskInstallation)))


def test_add_prints_both_callback_urls_then_the_id(worker_env, account, app_settings, client):
    result = run_cli(["helpdesk", "add", "helpscout", "acme", "--secret-key", "s3cret-from-help-scout",
                      "--api-base", "http://127.0.0.1:9/"], worker_env)
    assert result.returncode == 0, result.stderr
    *url_lines, last = result.stdout.strip().splitlines()
    (stored,) = installations()
    assert last == str(stored.id)
    urls = dict(URL_LINE.match(line).group("what", "url") for line in url_lines)
    base = app_settings["BASE_URL"].rstrip("/")
    app_url, dynamic_url = urls["app callback URL"], urls["dynamic app callback URL"]
    assert app_url == f"{base}/sidebar/helpscout?app={stored.external_id}"
    assert dynamic_url == f"{base}/sidebar/helpscout/dynamic?app={stored.external_id}"
    assert (stored.kind, stored.account_id, stored.credentials["secret_key"], stored.settings["api_base"]) == (
        "helpscout", account.id, "s3cret-from-help-scout", "http://127.0.0.1:9")

    body = json.dumps({"customer": {"emails": ["ada@example.com"]}, "user": {"id": 12}}).encode()
    signature = base64.b64encode(hmac.new(b"s3cret-from-help-scout", body, hashlib.sha1).digest()).decode()
    app_id = parse_qs(urlsplit(dynamic_url).query)["app"][0]
    answer = client.post(f"/sidebar/helpscout/dynamic?app={app_id}", data=body,
                         headers={"X-HelpScout-Signature": signature, "Content-Type": "application/json"})
    assert answer.status_code == 200 and "No billing customer matches" in answer.get_json()["html"]


@pytest.mark.parametrize("flags, expected", [
    (["--secret-key", "x" * 41], "--secret-key"),
    (["--secret-key", " "], "--secret-key"),
    (["--secret-key", "ok", "--api-base", "ftp://x"], "--api-base"),
    ([], "--secret-key"),
])
def test_bad_options_are_one_error_line_and_store_nothing(worker_env, account, flags, expected):
    result = run_cli(["helpdesk", "add", "helpscout", "acme", *flags], worker_env)
    assert result.returncode != 0 and result.stdout == ""
    assert expected in result.stderr
    assert installations() == []

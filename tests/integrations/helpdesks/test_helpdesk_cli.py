"""The real `chargedesk helpdesk add|list` (a subprocess, as an operator's shell runs it), then the
sidebar of the installation it made: a hand-made install (no OAuth) opens for linked agents only."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair, sign_claims, signed_url_claims
from tests.conftest import run_cli

URL_LINE = re.compile(r"^(?P<what>[^:]+): (?P<url>https?://\S+)$")


@pytest.fixture(scope="module")
def app_key(tmp_path_factory):
    private, public = new_key_pair()
    folder = tmp_path_factory.mktemp("zendesk-app")
    (folder / "public.pem").write_text(public)
    (folder / "not-a-key.pem").write_text("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
    return {"private": private, "public": public, "file": str(folder / "public.pem"),
            "bad_file": str(folder / "not-a-key.pem"), "missing": str(folder / "absent.pem")}


@pytest.fixture
def cli_env(worker_env, account):
    return worker_env


def add_zendesk(cli_env, app_key, **overrides):
    flags = {"--subdomain": "acme", "--app-installation-id": "1001", "--public-key-file": app_key["file"]}
    flags.update(overrides)
    args = ["helpdesk", "add", "zendesk", overrides.pop("account", "acme")]
    for flag, value in flags.items():
        if value is not None and flag.startswith("--"):
            args += [flag, value]
    return run_cli(args, cli_env)


def installations():
    from backend.db import session
    from backend.models import HelpdeskInstallation

    session().expire_all()
    return list(session().scalars(select(HelpdeskInstallation)))


def one_error_line(result) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chargedesk: error:"), result.stderr
    assert result.stdout == "", "nothing is printed as if it had worked"
    return lines[0]


def test_add_prints_urls_to_paste_then_the_id_and_list_shows_it(cli_env, app_key, app_settings, account):
    result = add_zendesk(cli_env, app_key, **{"--subdomain": "https://Acme.zendesk.com/agent"})
    assert result.returncode == 0, result.stderr
    *url_lines, last = result.stdout.strip().splitlines()
    (stored,) = installations()
    assert last == str(stored.id)
    urls = dict(URL_LINE.match(line).group("what", "url") for line in url_lines)
    base = app_settings["BASE_URL"].rstrip("/")
    assert f"{base}/sidebar/zendesk" in urls.values() and f"{base}/admin/oauth/zendesk/callback" in urls.values()
    assert (stored.kind, stored.external_id, stored.account_id, stored.status) == ("zendesk", "acme", account.id,
                                                                                     "active")
    assert stored.settings["app_installation_id"] == "1001"
    assert stored.settings["public_key_pem"].strip() == app_key["public"].strip()

    listed = run_cli(["helpdesk", "list", "acme"], cli_env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip().splitlines() == [f"{stored.id}\tzendesk\tacme\tactive\tno-api"]


@pytest.mark.parametrize("case, expected", [
    ("bad key", "public key is not usable"),
    ("missing key file", "cannot read --public-key-file"),
    ("bad subdomain", "subdomain"),
    ("bad app installation id", "digits only"),
    ("unknown account", "no account"),
    ("missing option", "--app-installation-id"),
])
def test_bad_input_is_one_error_line_and_stores_nothing(cli_env, app_key, case, expected):
    overrides = {
        "bad key": {"--public-key-file": app_key["bad_file"]},
        "missing key file": {"--public-key-file": app_key["missing"]},
        "bad subdomain": {"--subdomain": "acme corp!"},
        "bad app installation id": {"--app-installation-id": "12ab"},
        "unknown account": {"account": "nobody"},
        "missing option": {"--app-installation-id": None},
    }[case]
    assert expected in one_error_line(add_zendesk(cli_env, app_key, **overrides))
    assert installations() == []


def test_the_same_helpdesk_cannot_be_added_twice(cli_env, app_key):
    assert add_zendesk(cli_env, app_key).returncode == 0
    assert "already installed" in one_error_line(add_zendesk(cli_env, app_key))
    assert len(installations()) == 1


def test_unknown_kind_and_empty_list_are_clear(cli_env):
    assert "zendesk" in one_error_line(run_cli(["helpdesk", "add", "nodesk", "acme"], cli_env))
    empty = run_cli(["helpdesk", "list", "acme"], cli_env)
    assert empty.returncode == 0 and "no helpdesk installations" in empty.stdout


def test_installation_without_oauth_opens_for_linked_agents_and_read_only_for_unknown_ones(cli_env, app_key, client,
                                                                                          account):
    """No tokens, so an unknown agent cannot be looked up: a read-only sidebar until linked."""
    import re

    from backend.auth.sidebar_tokens import read_sidebar_token
    from backend.db import session, transaction
    from backend.models import AgentIdentity, User

    def token_in(html: str):
        return read_sidebar_token(re.search(r"sbt\.[A-Za-z0-9_\-\.]+", html).group(0))

    assert add_zendesk(cli_env, app_key).returncode == 0
    (installation,) = installations()

    def load(agent_id: str):
        claims = signed_url_claims(subdomain="acme", app_installation_id="1001", user_id=agent_id)
        return client.post("/sidebar/zendesk", data={"token": sign_claims(claims, app_key["private"])})

    stranger = load("9001")
    assert stranger.status_code == 200 and token_in(stranger.text).read_only
    assert session().scalars(select(AgentIdentity)).all() == []

    owner = session().scalars(select(User).where(User.role == "owner")).one()
    with transaction() as s:
        s.add(AgentIdentity(account_id=account.id, user_id=owner.id, installation_id=installation.id,
                            external_user_id="9001"))
    linked = load("9001")
    assert linked.status_code == 200 and token_in(linked.text).user_id == owner.id


def test_credentials_column_holds_no_plain_text(cli_env, app_key):
    """Zendesk's hand-made install has no secret; the column stays empty rather than '{}' in clear."""
    from backend import db

    assert add_zendesk(cli_env, app_key).returncode == 0
    with db.engine().connect() as conn:
        raw = conn.execute(text("SELECT credentials FROM helpdesk_installations")).scalar_one()
    assert raw is None

"""Intercom OAuth with authlib against the emulator: consent, code exchange, who am I from /me; no
refresh (tokens do not expire); regional hosts; admin sign-in through the generic routes."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from backend.db import session
from backend.integrations.helpdesks import HelpdeskConfig, HelpdeskError, helpdesk_host
from backend.integrations.helpdesks.intercom import urls
from backend.models import Account, HelpdeskInstallation, User

from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, WORKSPACE


def test_round_trip_exchange_and_who_am_i_without_refresh(configured, installation):
    host = helpdesk_host("intercom")
    boss = configured.add_admin(email="boss@acme.test", name="Boss")
    start = host.start_oauth(session(), external_id=WORKSPACE, redirect_uri=REDIRECT_URI)
    query = parse_qs(urlsplit(start.url).query)
    assert urlsplit(start.url).path == "/oauth" and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [REDIRECT_URI] and query["state"] == [start.state]
    callback = parse_qs(urlsplit(configured.approve(start.url, admin_id=boss)).query)
    assert callback["state"] == [start.state]
    credentials = host.exchange_code(start=start, code=callback["code"][0], redirect_uri=REDIRECT_URI)
    assert credentials["access_token"] and credentials["admin_id"] == boss
    assert configured.token_requests[-1]["client_secret"] == CLIENT_SECRET
    config = HelpdeskConfig(installation_id=0, external_id=WORKSPACE, credentials=credentials, api_base=start.api_base)
    me = host.api(config).current_user()
    assert (me.external_id, me.email, me.is_admin, me.is_staff) == (boss, "boss@acme.test", True, True)
    with pytest.raises(HelpdeskError, match="do not expire"):
        host.refresh_credentials(config)


def test_a_used_or_unknown_code_is_refused(configured, installation):
    host = helpdesk_host("intercom")
    boss = configured.add_admin(email="boss@acme.test", name="Boss")
    start = host.start_oauth(session(), external_id=WORKSPACE, redirect_uri=REDIRECT_URI)
    code = parse_qs(urlsplit(configured.approve(start.url, admin_id=boss)).query)["code"][0]
    host.exchange_code(start=start, code=code, redirect_uri=REDIRECT_URI)
    for bad in (code, "made-up"):
        with pytest.raises(HelpdeskError) as refused:
            host.exchange_code(start=start, code=bad, redirect_uri=REDIRECT_URI)
        assert not refused.value.retryable


@pytest.mark.parametrize("region, base", [("us", "https://api.intercom.io"), ("eu", "https://api.eu.intercom.io"),
                                          ("au", "https://api.au.intercom.io")])
def test_regional_hosts(region, base):
    assert urls.api_base_for(region=region) == base
    assert urls.token_url(base) == base + "/auth/eagle/token"
    assert urls.authorize_url(base) == "https://app.intercom.com/oauth"  # one consent page for every region
    assert urls.api_base_for(region=region, api_base="http://127.0.0.1:9/") == "http://127.0.0.1:9"


def test_the_installation_region_chooses_the_api_host(app, account, configured):
    from backend.db import transaction
    from backend.integrations.helpdesks.intercom.client import IntercomHelpdesk

    host = helpdesk_host("intercom")
    new = host.new_installation({"workspace_id": "ws-eu", "client_secret": "eu-client-secret", "region": "EU"})
    assert new.settings == {"region": "eu"}
    client = IntercomHelpdesk(HelpdeskConfig(installation_id=0, external_id="ws-eu", credentials={},
                                             settings=new.settings))
    assert client.root == "https://api.eu.intercom.io"
    with transaction() as s:
        s.add(HelpdeskInstallation(account_id=account.id, kind="intercom", external_id="ws-eu",
                                   credentials=dict(new.credentials), settings=dict(new.settings), status="active"))
    app.config["SETTINGS"].extra.pop("INTERCOM_BASE_URL")
    start = host.start_oauth(session(), external_id="ws-eu", redirect_uri=REDIRECT_URI)
    assert start.api_base == "https://api.eu.intercom.io" and start.url.startswith("https://app.intercom.com/oauth?")


# --- admin sign-in through the generic routes -------------------------------------------------------
def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def register_callback(app, intercom) -> None:
    """The app's redirect URL in Intercom's Developer Hub is our generic callback on our base URL."""
    base = app.config["SETTINGS"].base_url.rstrip("/")
    intercom.register_app(CLIENT_ID, CLIENT_SECRET, redirect_uri=f"{base}/admin/oauth/intercom/callback")


def sign_in(client, intercom, *, admin_id: str, workspace: str = WORKSPACE):
    form = client.get("/admin/sign-in/intercom")
    assert form.status_code == 200, form.text
    started = client.post("/admin/sign-in/intercom", data={"csrf_token": csrf_from(form.text),
                                                           "workspace_id": workspace})
    assert started.status_code == 302, started.text
    assert urlsplit(started.headers["Location"]).path == "/oauth"
    return client.get(local(intercom.approve(started.headers["Location"], admin_id=admin_id)))


def test_a_linked_intercom_admin_signs_in_to_the_admin_pages(app, client, installation, configured, ic_admin):
    register_callback(app, configured)
    done = sign_in(client, configured, admin_id=ic_admin)
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path.startswith("/admin")
    assert client.get(local(done.headers["Location"])).status_code == 200
    stored = session().get(HelpdeskInstallation, installation.id)
    session().refresh(stored)
    assert stored.credentials["admin_id"] == ic_admin and stored.credentials["client_secret"] == CLIENT_SECRET


def test_a_bad_workspace_id_is_a_400_and_stores_nothing(client, installation, configured):
    form = client.get("/admin/sign-in/intercom")
    refused = client.post("/admin/sign-in/intercom", data={"csrf_token": csrf_from(form.text),
                                                           "workspace_id": "not a workspace!"})
    assert refused.status_code == 400 and "workspace id" in refused.text
    assert session().scalar(select(func.count()).select_from(HelpdeskInstallation)) == 1


def test_a_teammate_of_another_workspace_naming_ours_is_refused_and_nothing_is_stored(app, client, installation,
                                                                                      configured):
    register_callback(app, configured)
    before = (session().scalar(select(func.count()).select_from(User)),
              session().scalar(select(func.count()).select_from(Account)))
    stranger = configured.add_admin(email="someone@else.test", name="Some One", workspace_id="ws-other")
    host = helpdesk_host("intercom")
    assert host.api_for(session().get(HelpdeskInstallation, installation.id)).find_user(stranger).is_admin is False
    refused = sign_in(client, configured, admin_id=stranger, workspace=WORKSPACE)
    assert refused.status_code == 400 and "refused the sign-in" in refused.text
    assert (session().scalar(select(func.count()).select_from(User)),
            session().scalar(select(func.count()).select_from(Account))) == before

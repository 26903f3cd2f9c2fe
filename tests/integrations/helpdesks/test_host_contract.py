"""One behaviour suite for every registered helpdesk host, against each helpdesk's loopback emulator.

Runs over every kind in the registry (each needs a harness in contract_harness/<kind>_harness.py):
a signed sidebar load is accepted and a tampered or foreign one refused, through the host and
through the generic /sidebar/<kind> view; OAuth goes round trip against the emulator (consent,
code exchange, who am I, refresh); an unknown agent is provisioned through the API; a private note
lands on the ticket, and a retried note with the same key lands once; a ticket with a private
note is created. State is checked in the emulator.
"""
from __future__ import annotations

import inspect
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from backend.auth.sidebar_tokens import read_sidebar_token
from backend.db import session, transaction
from backend.integrations.helpdesks import HelpdeskConfig, helpdesk_host, helpdesk_names, post_private_note
from backend.integrations.helpdesks.host import (
    HelpdeskApi, HelpdeskHost, HostClaims, HostSetupError, HostUser, HostVerificationError, NewInstallation,
    SidebarLoad,
)
from backend.models import AgentIdentity, HelpdeskInstallation, User

from .contract_harness import harness_class

REDIRECT_URI = "http://testserver/admin/oauth/{kind}/callback"


@pytest.fixture(scope="module", params=helpdesk_names())
def running(request):
    """One started emulator per helpdesk for the module; a registered helpdesk without a harness fails."""
    cls = harness_class(request.param)
    if cls is None:
        pytest.fail(f"helpdesk {request.param!r} is registered but has no contract harness: add "
                    f"tests/integrations/helpdesks/contract_harness/{request.param}_harness.py")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    harness = cls()
    harness.start()
    yield harness
    harness.stop()


@pytest.fixture
def harness(running, app, monkeypatch):
    running.reset()
    running.configure_app(app.config["SETTINGS"].extra, monkeypatch)
    return running


@pytest.fixture
def host(harness) -> HelpdeskHost:
    return helpdesk_host(harness.kind)


@pytest.fixture
def installation(harness, account) -> HelpdeskInstallation:
    with transaction() as s:
        row = harness.install(s, account)
    return session().get(HelpdeskInstallation, row.id)


def open_sidebar(client, kind: str, load: SidebarLoad):
    return client.open(f"/sidebar/{kind}", method=load.method, query_string=dict(load.args),
                       data=load.body or dict(load.form), headers=dict(load.headers))


def test_host_keeps_the_protocol(host, harness):
    assert isinstance(host, HelpdeskHost) and host.kind == harness.kind and host.label
    assert all(option.name.isidentifier() for option in host.install_options)


# --- sidebar loads ----------------------------------------------------------------------------------
def test_signed_load_is_accepted_and_names_installation_and_agent(host, harness, installation):
    agent_id = harness.add_agent(email="ann@contract.test", name="Ann Agent")
    claims = host.verify_sidebar_load(session(), harness.signed_load(installation, agent_id=agent_id))
    assert isinstance(claims, HostClaims)
    assert (claims.installation_id, claims.external_user_id) == (installation.id, agent_id)


@pytest.mark.parametrize("case", ["tampered", "foreign", "empty"])
def test_tampered_foreign_and_empty_loads_are_refused(host, harness, installation, case):
    agent_id = harness.add_agent(email="ann@contract.test", name="Ann Agent")
    load = {"tampered": lambda: harness.tampered_load(installation, agent_id=agent_id),
            "foreign": lambda: harness.foreign_load(agent_id=agent_id),
            "empty": lambda: SidebarLoad(method="POST", args={}, form={}, headers={}, body=b"")}[case]()
    with pytest.raises(HostVerificationError):
        host.verify_sidebar_load(session(), load)


def test_generic_view_opens_for_a_signed_load_and_provisions_the_agent(client, harness, installation, account):
    agent_id = harness.add_agent(email="New.Agent@Contract.test", name="New Agent")
    response = open_sidebar(client, harness.kind, harness.signed_load(installation, agent_id=agent_id))
    assert response.status_code == 200, response.text
    token = re.search(r"sbt\.[A-Za-z0-9_\-\.]+", response.text).group(0)
    claims = read_sidebar_token(token)
    user = session().scalars(select(User).where(User.email == "new.agent@contract.test")).one()
    assert (claims.account_id, claims.installation_id, claims.user_id, claims.host) == (
        account.id, installation.id, user.id, harness.kind)
    identity = session().scalars(select(AgentIdentity).where(AgentIdentity.user_id == user.id)).one()
    assert identity.external_user_id == agent_id and user.role == "agent"


def test_generic_view_refuses_a_tampered_load_and_stores_nothing(client, harness, installation):
    agent_id = harness.add_agent(email="eve@contract.test", name="Eve")
    response = open_sidebar(client, harness.kind, harness.tampered_load(installation, agent_id=agent_id))
    assert response.status_code == 401 and "sbt." not in response.text
    assert session().scalars(select(User).where(User.email == "eve@contract.test")).first() is None


# --- OAuth ------------------------------------------------------------------------------------------
def test_oauth_round_trip_who_am_i_and_refresh(host, harness, installation):
    admin_id = harness.add_agent(email="boss@contract.test", name="Boss", admin=True)
    redirect_uri = REDIRECT_URI.format(kind=harness.kind)
    assert host.oauth_configured()
    start = host.start_oauth(session(), external_id=installation.external_id, redirect_uri=redirect_uri)
    callback = urlsplit(harness.approve(start.url, agent_id=admin_id))
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    assert query["state"] == start.state and query.get("code")
    credentials = host.exchange_code(start=start, code=query["code"], redirect_uri=redirect_uri)
    assert credentials["access_token"]
    config = HelpdeskConfig(installation_id=0, external_id=installation.external_id, credentials=credentials,
                            api_base=start.api_base, settings=dict(installation.settings or {}))
    me = host.api(config).current_user()
    assert isinstance(me, HostUser)
    assert (me.external_id, me.email, me.is_admin, me.is_staff) == (admin_id, "boss@contract.test", True, True)
    refreshed = host.refresh_credentials(config)
    assert refreshed["access_token"] and refreshed["access_token"] != credentials["access_token"]
    again = HelpdeskConfig(installation_id=0, external_id=installation.external_id, credentials=refreshed,
                           api_base=start.api_base, settings=dict(installation.settings or {}))
    assert host.api(again).current_user().external_id == admin_id


# --- the API ----------------------------------------------------------------------------------------
def test_find_user_describes_an_agent(host, harness, installation):
    agent_id = harness.add_agent(email="ann@contract.test", name="Ann Agent")
    api = host.api_for(installation)
    assert isinstance(api, HelpdeskApi)
    user = api.find_user(agent_id)
    assert (user.external_id, user.email, user.name, user.is_staff, user.is_admin, user.active) == (
        agent_id, "ann@contract.test", "Ann Agent", True, False, True)


def test_private_note_lands_on_the_ticket_through_the_registry(harness, installation):
    ticket_id = harness.add_ticket()
    post_private_note(harness.kind, installation_id=installation.id, ticket_id=ticket_id,
                      body="Refunded $5.00 of $20.00 — duplicate — by Ann Agent")
    assert harness.private_notes(ticket_id) == ["Refunded $5.00 of $20.00 — duplicate — by Ann Agent"]


def test_a_retried_note_with_the_same_key_posts_once_through_the_api(host, harness, installation):
    ticket_id = harness.add_ticket()
    api = host.api_for(installation)
    for _attempt in range(2):  # the job's retry after a lost answer
        api.post_private_note(ticket_id=ticket_id, body="Refunded $5.00 — by Ann", idempotency_key="run-1")
    assert harness.private_notes(ticket_id) == ["Refunded $5.00 — by Ann"]
    api.post_private_note(ticket_id=ticket_id, body="Refunded $5.00 — by Ann", idempotency_key="run-2")
    assert harness.private_notes(ticket_id) == ["Refunded $5.00 — by Ann"] * 2, "another run is another note"


def test_a_retried_note_with_the_same_key_posts_once_through_the_registry(host, harness, installation):
    assert "idempotency_key" in inspect.signature(host.post_private_note).parameters, \
        f"{harness.kind}: HelpdeskHost.post_private_note must take idempotency_key (the action run id)"
    ticket_id = harness.add_ticket()
    for key in ("run-7", "run-7", "run-8"):
        post_private_note(harness.kind, installation_id=installation.id, ticket_id=ticket_id,
                          body="Canceled the subscription — by Ann", idempotency_key=key)
    assert harness.private_notes(ticket_id) == ["Canceled the subscription — by Ann"] * 2


def test_ticket_is_created_with_a_private_note(host, harness, installation):
    ticket_id = host.api_for(installation).create_ticket(
        requester_email="buyer@example.org", requester_name="Bea Buyer", subject="Question about invoice 1042",
        body="Why was I charged twice?", private_note="Billing context: 2 charges of $20.00 on 3 May")
    created = harness.created_ticket(ticket_id)
    assert created["requester_email"] == "buyer@example.org"
    assert created["subject"] == "Question about invoice 1042"
    assert "Why was I charged twice?" in created["public_bodies"]
    assert created["private_notes"] == ["Billing context: 2 charges of $20.00 on 3 May"]


# --- installing by hand -----------------------------------------------------------------------------
def test_install_options_make_an_installation_and_bad_ones_are_refused(host, harness, installation, app):
    new = host.new_installation(harness.install_options())
    assert isinstance(new, NewInstallation) and new.external_id
    with pytest.raises(HostSetupError):
        host.new_installation({})
    with app.test_request_context("/"):
        urls = host.paste_urls(base_url="https://billing.example.com", installation=installation)
    assert urls and all(what and url.startswith("https://billing.example.com/") for what, url in urls)


def test_shell_assets_resolve(host, app):
    with app.test_request_context("/"):
        assets = host.sidebar_assets()
        assert assets.sdk_url() and assets.host_script_url() and assets.frame_ancestors

"""The app key rule: only owners change what verifies the Zendesk sidebar; every change is audited,
stamped on the installation and mailed to every owner (by a job); owners fetch the key from Zendesk."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.auth.host_keys import key_fingerprint, key_stamp
from backend.db import session, transaction
from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair
from backend.jobs import job_id_for
from backend.models import AuditEntry, HelpdeskInstallation, User
from tests.conftest import wait_for

from .conftest import SUBDOMAIN, csrf_from, oauth_sign_in


def add_user(account, email: str, role: str) -> int:
    with transaction() as s:
        row = User(account_id=account.id, email=email, role=role, name=email.split("@")[0].title())
        s.add(row)
        s.flush()
        return row.id


def browser_for(app, zendesk, account, email: str, role: str):
    """A browser signed in through Zendesk OAuth as a new ChargeDesk user with this role."""
    add_user(account, email, role)
    zendesk_user = zendesk.add_user(SUBDOMAIN, email=email, name=email.split("@")[0].title(), role="admin")
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=zendesk_user.id).status_code == 302
    return browser


@pytest.fixture
def owner_browser(app, connected, zendesk):
    browser = app.test_client()
    assert oauth_sign_in(browser, zendesk, subdomain=SUBDOMAIN, user_id=connected.admin_zendesk_id).status_code == 302
    return browser


def installation_settings(connected) -> dict:
    session().expire_all()
    return dict(session().get(HelpdeskInstallation, connected.installation.id).settings)


def audit_events(account_id: int, event: str) -> list[AuditEntry]:
    session().expire_all()
    return list(session().scalars(select(AuditEntry).where(AuditEntry.account_id == account_id,
                                                           AuditEntry.event == event).order_by(AuditEntry.seq)))


def post_key(browser, connected, public_pem: str, app_installation_id: str = "1001"):
    page = browser.get("/admin")
    return browser.post(f"/admin/zendesk/{connected.installation.id}/app", data={
        "app_installation_id": app_installation_id, "public_key_pem": public_pem,
        "csrf_token": csrf_from(page.text)})


def outbox(app) -> Path:
    return Path(app.config["SETTINGS"].instance_path) / "outbox"


def mails_about(app, subject_part: str) -> list:
    folder = outbox(app)
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
    return [m for m in messages if subject_part in str(m["Subject"])]


def test_an_admin_cannot_change_the_app_key_or_installation_id(app, connected, zendesk, account):
    before = installation_settings(connected)
    admin = browser_for(app, zendesk, account, "ada@acme.test", "admin")
    assert "Fetch key from Zendesk" not in admin.get("/admin").text
    swapped = post_key(admin, connected, new_key_pair()[1])
    assert swapped.status_code == 403 and "Only an owner" in swapped.text
    other_install = post_key(admin, connected, before["public_key_pem"], app_installation_id="4242")
    assert other_install.status_code == 403
    page = admin.get("/admin")
    fetched = admin.post(f"/admin/zendesk/{connected.installation.id}/app/fetch-key",
                         data={"app_installation_id": "1001", "csrf_token": csrf_from(page.text)})
    assert fetched.status_code == 403
    assert installation_settings(connected) == before
    assert audit_events(account.id, "helpdesk.key_changed") == []


def test_an_admin_can_still_set_the_support_email(app, connected, zendesk, account):
    admin = browser_for(app, zendesk, account, "ada@acme.test", "admin")
    page = admin.get("/admin")
    response = admin.post(f"/admin/zendesk/{connected.installation.id}/app",
                          data={"support_email": "Help@Acme.test", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    settings = installation_settings(connected)
    assert settings["support_email"] == "help@acme.test" and "host_key" not in settings
    assert [e.details["changed"] for e in audit_events(account.id, "settings.helpdesk_changed")] == [["support_email"]]


def test_an_owner_pasting_a_key_is_stamped_audited_and_every_owner_is_emailed(
        app, owner_browser, connected, account, rq_worker):
    second_owner = add_user(account, "olga@acme.test", "owner")
    add_user(account, "ada@acme.test", "admin")
    old_pem = installation_settings(connected)["public_key_pem"]
    new_pem = new_key_pair()[1]
    response = post_key(owner_browser, connected, new_pem)
    assert response.status_code == 302
    owner = session().scalars(select(User).where(User.email == "owner@acme.test")).one()
    stamp = key_stamp(installation_settings(connected))
    assert (stamp.version, stamp.changed_by_user_id) == (1, owner.id)
    [entry] = audit_events(account.id, "helpdesk.key_changed")
    assert entry.actor["user_id"] == owner.id and entry.details["via"] == "pasted"
    assert entry.details["fingerprint"] == key_fingerprint(new_pem)
    assert entry.details["previous_fingerprint"] == key_fingerprint(old_pem)
    assert second_owner != owner.id

    rq_worker()  # the notice goes through the job queue, never the request
    [mail] = wait_for(lambda: mails_about(app, "app key of Acme Inc was changed"), message="the owners' notice")
    assert sorted(a.addr_spec for a in mail["To"].addresses) == ["olga@acme.test", "owner@acme.test"]
    body = mail.get_content()
    assert key_fingerprint(new_pem) in body and "acme.zendesk.com" in body and "24 hours" in body


def test_saving_the_same_key_again_changes_and_announces_nothing(owner_browser, connected, account):
    response = post_key(owner_browser, connected, installation_settings(connected)["public_key_pem"])
    assert response.status_code == 302
    assert "host_key" not in installation_settings(connected)
    assert audit_events(account.id, "helpdesk.key_changed") == []


def test_the_notice_job_is_queued_under_the_audit_entry(app, owner_browser, connected, account):
    from redis import Redis
    from rq.job import Job

    from backend.admin.notices import send_key_change_notice

    post_key(owner_browser, connected, new_key_pair()[1])
    [entry] = audit_events(account.id, "helpdesk.key_changed")
    job_id = job_id_for(send_key_change_notice, entry.id)
    queued = Job.fetch(job_id, connection=Redis.from_url(app.config["SETTINGS"].redis_url))
    assert queued.args == (entry.id,)


def test_an_owner_fetches_the_key_from_zendesk(owner_browser, connected, zendesk, account):
    zendesk.install_app(SUBDOMAIN, app_id="777", app_installation_id="2002")
    page = owner_browser.get("/admin")
    assert "Fetch key from Zendesk" in page.text
    response = owner_browser.post(f"/admin/zendesk/{connected.installation.id}/app/fetch-key",
                                  data={"app_installation_id": "2002", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    settings = installation_settings(connected)
    assert settings["public_key_pem"].strip() == zendesk.app_key_pair("777")[1].strip()
    assert (settings["app_installation_id"], settings["app_id"]) == ("2002", "777")
    assert settings["host_key"]["via"] == "fetched_from_zendesk"
    [entry] = audit_events(account.id, "helpdesk.key_changed")
    assert entry.details["changed"] == ["app_id", "app_installation_id", "public_key_pem"]
    assert ("GET", f"/{SUBDOMAIN}/api/v2/apps/777/public_key.pem") in zendesk.request_log


def zendesk_down(zendesk) -> None:
    zendesk.install_app(SUBDOMAIN, app_id="777", app_installation_id="3003")
    zendesk.fail_next(2, status=503, path_prefix=f"/{SUBDOMAIN}/api/v2/apps")


@pytest.mark.parametrize("arrange, status, message", [
    (lambda zendesk: None, 502, "not found in Zendesk"),  # no app installation 3003 in this account
    (zendesk_down, 503, "retry later"),
])
def test_a_failed_fetch_says_why_and_changes_nothing(owner_browser, connected, zendesk, account, arrange, status,
                                                     message):
    arrange(zendesk)
    before = installation_settings(connected)
    page = owner_browser.get("/admin")
    response = owner_browser.post(f"/admin/zendesk/{connected.installation.id}/app/fetch-key",
                                  data={"app_installation_id": "3003", "csrf_token": csrf_from(page.text)})
    assert response.status_code == status and message in response.text
    assert installation_settings(connected) == before
    assert audit_events(account.id, "helpdesk.key_changed") == []


def test_the_emulated_key_endpoint_needs_a_token_of_the_account(connected, zendesk):
    import requests

    url = f"{zendesk.base_url(SUBDOMAIN)}/api/v2/apps/{connected.app_id}/public_key.pem"
    assert requests.get(url, timeout=10).status_code == 401


def test_the_notice_job_over_smtp_retries_what_may_pass_later_and_drops_what_never_will(
        app, owner_browser, connected, account, monkeypatch):
    from backend.admin.notices import send_key_change_notice
    from backend.mail import MailError
    from tests.mail.smtp_server import LoopbackSmtpServer, free_port

    post_key(owner_browser, connected, new_key_pair()[1])
    [entry] = audit_events(account.id, "helpdesk.key_changed")
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "smtp_url", f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(MailError) as down:  # the job raises: RQ retries it with backoff
        send_key_change_notice(entry.id)
    assert down.value.retryable
    with LoopbackSmtpServer() as server:
        monkeypatch.setattr(settings, "smtp_url", server.url)
        server.handler.rcpt_reply = "550 5.1.1 No such user"
        assert send_key_change_notice(entry.id) is None  # logged, not retried forever
        server.handler.rcpt_reply = None
        send_key_change_notice(entry.id)
        [received] = server.handler.received
    assert received.rcpt_tos == ["owner@acme.test"]
    assert b"app key of Acme Inc was changed" in received.data

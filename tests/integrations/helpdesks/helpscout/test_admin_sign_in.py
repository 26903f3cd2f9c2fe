"""Admin sign-in through Help Scout's OAuth (the generic /admin/sign-in/helpscout): a Help Scout-only
company gets into its admin pages; a Help Scout user we cannot place is refused and nothing is stored."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from backend.db import session
from backend.models import Account, User


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(client, helpscout, *, user_id: int):
    form = client.get("/admin/sign-in/helpscout")
    assert form.status_code == 200, form.text
    started = client.post("/admin/sign-in/helpscout", data={"csrf_token": csrf_from(form.text)})
    assert started.status_code == 302, started.text
    assert urlsplit(started.headers["Location"]).path == "/authentication/authorizeClientApplication"
    callback = helpscout.approve(started.headers["Location"], user_id=user_id)
    return client.get(local(callback))


def test_a_linked_help_scout_admin_signs_in_to_the_admin_pages(client, installation, configured, hs_admin):
    configured.register_app("hs-chargedesk-test", "helpscout-client-secret-for-tests",
                            redirect_uri="http://localhost/admin/oauth/helpscout/callback")
    done = sign_in(client, configured, user_id=hs_admin.id)
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path.startswith("/admin")
    dashboard = client.get(local(done.headers["Location"]))
    assert dashboard.status_code == 200 and "Acme" in dashboard.text


def test_an_unplaced_help_scout_user_is_refused(client, installation, configured):
    configured.register_app("hs-chargedesk-test", "helpscout-client-secret-for-tests",
                            redirect_uri="http://localhost/admin/oauth/helpscout/callback")
    stranger = configured.add_user(email="someone@else.test", first_name="Some", last_name="One", role="admin")
    before = (session().scalar(select(func.count()).select_from(User)),
              session().scalar(select(func.count()).select_from(Account)))
    refused = sign_in(client, configured, user_id=stranger.id)
    assert refused.status_code in (400, 403) and "not connected" in refused.text
    assert (session().scalar(select(func.count()).select_from(User)),
            session().scalar(select(func.count()).select_from(Account))) == before

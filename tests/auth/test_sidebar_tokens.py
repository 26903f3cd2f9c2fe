"""Sidebar tokens: a signature is checked once per process, but expiry and tampering always count."""
from __future__ import annotations

import time

import pytest

from backend.auth import sidebar_tokens
from backend.auth.sidebar_tokens import SidebarClaims, mint_sidebar_token, read_sidebar_token

CLAIMS = SidebarClaims(account_id=7, installation_id=3, user_id=11, host="zendesk", external_user_id="zd-1")


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


def test_a_fresh_token_reads_back_its_claims_every_time(app_ctx):
    token = mint_sidebar_token(CLAIMS)
    assert read_sidebar_token(token) == CLAIMS
    assert read_sidebar_token(token) == CLAIMS


def test_a_token_checked_before_still_expires(app_ctx, monkeypatch):
    token = mint_sidebar_token(CLAIMS)
    assert read_sidebar_token(token) == CLAIMS  # its signature is now cached
    later = time.time() + sidebar_tokens.MAX_AGE_SECONDS + 5
    monkeypatch.setattr(sidebar_tokens.time, "time", lambda: later)
    assert read_sidebar_token(token) is None


def test_a_token_from_the_future_is_refused(app_ctx, monkeypatch):
    token = mint_sidebar_token(CLAIMS)
    earlier = time.time() - 120
    monkeypatch.setattr(sidebar_tokens.time, "time", lambda: earlier)
    assert read_sidebar_token(token) is None


def test_a_tampered_or_foreign_token_is_refused_even_after_a_good_one(app_ctx):
    token = mint_sidebar_token(CLAIMS)
    assert read_sidebar_token(token) == CLAIMS
    head, _, signature = token.rpartition(".")
    # Change the signature's first character: the last one of unpadded base64 carries spare bits,
    # so changing it may decode to the very same signature.
    flipped = ("B" if signature[0] != "B" else "C") + signature[1:]
    assert read_sidebar_token(f"{head}.{flipped}") is None
    assert read_sidebar_token("sbt." + token[len("sbt.") + 1:]) is None
    assert read_sidebar_token(token[len("sbt."):]) is None  # no prefix


def test_a_token_signed_under_another_secret_is_refused(app_ctx):
    token = mint_sidebar_token(CLAIMS)
    assert read_sidebar_token(token) == CLAIMS
    original = app_ctx.config["SECRET_KEY"]
    app_ctx.config["SECRET_KEY"] = original + "-rotated"
    try:
        assert read_sidebar_token(token) is None
    finally:
        app_ctx.config["SECRET_KEY"] = original


def test_a_token_carries_the_host_key_stamp_it_was_opened_with(app_ctx):
    from dataclasses import replace

    from backend.auth.host_keys import HostKeyStamp

    stamped = replace(CLAIMS, key=HostKeyStamp(version=3, changed_by_user_id=11, changed_at=1_700_000_000))
    assert read_sidebar_token(mint_sidebar_token(stamped)) == stamped


def test_minting_stamps_the_installation_s_current_key(ctx, account):
    from backend.auth.host_keys import with_key_change
    from backend.db import transaction
    from backend.models import HelpdeskInstallation

    with transaction() as s:
        settings, stamp = with_key_change({"public_key_pem": "k"}, changed_by_user_id=5, via="pasted",
                                          fingerprint="sha256:x", now=1_700_000_000)
        inst = HelpdeskInstallation(account_id=account.id, kind="zendesk", external_id="stamp", settings=settings)
        s.add(inst)
        s.flush()
    claims = SidebarClaims(account_id=account.id, installation_id=inst.id, user_id=1, host="zendesk",
                           external_user_id="zd-1")
    assert read_sidebar_token(mint_sidebar_token(claims)).key == stamp
    assert stamp.version == 1 and stamp.changed_by_user_id == 5


VIEWER = SidebarClaims(account_id=7, installation_id=3, user_id=None, host="helpscout", external_user_id="hs-9")


def test_a_read_only_token_has_no_user_and_expires_like_the_others(app_ctx, monkeypatch):
    token = mint_sidebar_token(VIEWER)
    claims = read_sidebar_token(token)
    assert claims == VIEWER and claims.read_only and not read_sidebar_token(mint_sidebar_token(CLAIMS)).read_only
    later = time.time() + sidebar_tokens.MAX_AGE_SECONDS + 5
    monkeypatch.setattr(sidebar_tokens.time, "time", lambda: later)
    assert read_sidebar_token(token) is None


def test_a_token_whose_user_is_not_a_number_is_refused(app_ctx):
    token = sidebar_tokens.TOKEN_PREFIX + sidebar_tokens._serializer().dumps(
        {"a": 7, "i": 3, "u": "11", "h": "zendesk", "x": "zd-1"})
    assert read_sidebar_token(token) is None

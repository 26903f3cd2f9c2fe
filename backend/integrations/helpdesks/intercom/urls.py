"""Intercom's hosts by region (US/EU/AU), or the loopback emulator standing in for all of them.

Docs: https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/regional-hosting
"""
from __future__ import annotations

AUTHORIZE_URL = "https://app.intercom.com/oauth"
API_BASES = {"us": "https://api.intercom.io", "eu": "https://api.eu.intercom.io",
             "au": "https://api.au.intercom.io"}
API_VERSION = "2.11"


def api_base_for(*, region: str | None = None, api_base: str | None = None) -> str:
    """An explicit base (emulator, self-hosted proxy) wins; else the region's host; else the US one."""
    if api_base:
        return api_base.rstrip("/")
    return API_BASES.get((region or "us").lower(), API_BASES["us"])


def authorize_url(api_base: str | None = None) -> str:
    """The consent page: app.intercom.com for every region; the emulator serves its own."""
    if not api_base or api_base.rstrip("/") in API_BASES.values():
        return AUTHORIZE_URL
    return api_base.rstrip("/") + "/oauth"


def token_url(api_base: str | None = None) -> str:
    return api_base_for(api_base=api_base) + "/auth/eagle/token"

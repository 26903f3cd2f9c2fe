"""Help Scout's hosts, or the loopback emulator standing in for both (an installation's api_base)."""
from __future__ import annotations

AUTH_BASE = "https://secure.helpscout.net"
API_BASE = "https://api.helpscout.net"


def auth_base(api_base: str | None = None) -> str:
    """Where the authorize page lives (the emulator serves it too)."""
    return (api_base or AUTH_BASE).rstrip("/")


def api_root(api_base: str | None = None) -> str:
    """Mailbox API v2 root, e.g. https://api.helpscout.net/v2."""
    return (api_base or API_BASE).rstrip("/") + "/v2"


def authorize_url(api_base: str | None = None) -> str:
    return auth_base(api_base) + "/authentication/authorizeClientApplication"


def token_url(api_base: str | None = None) -> str:
    return api_root(api_base) + "/oauth2/token"

"""Where a Zendesk account lives: subdomains and the configurable base URL (an emulator in tests)."""
from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import urlsplit

DEFAULT_BASE_URL_TEMPLATE = "https://{subdomain}.zendesk.com"
SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class SubdomainError(ValueError):
    """Not a Zendesk subdomain; the message is meant for a person."""


def normalize_subdomain(value: str | None) -> str:
    """'Acme', 'acme.zendesk.com' or 'https://acme.zendesk.com/agent' -> 'acme'."""
    text = (value or "").strip().lower()
    if "//" in text:
        text = urlsplit(text).hostname or ""
    text = text.split("/")[0].removesuffix(".zendesk.com")
    if not SUBDOMAIN_RE.match(text):
        raise SubdomainError("enter your Zendesk subdomain: the 'acme' of acme.zendesk.com "
                             "(letters, digits and dashes)")
    return text


def base_url_template(extra: Mapping[str, str] | None = None) -> str:
    """CHARGEDESK_ZENDESK_BASE_URL, e.g. 'https://{subdomain}.zendesk.com' (the default)."""
    template = (extra or {}).get("ZENDESK_BASE_URL") or DEFAULT_BASE_URL_TEMPLATE
    if "{subdomain}" not in template:
        raise SubdomainError("CHARGEDESK_ZENDESK_BASE_URL must contain {subdomain}")
    return template.rstrip("/")


def zendesk_base_url(subdomain: str, *, api_base: str | None = None, template: str | None = None) -> str:
    """The account's base URL: an installation's own api_base wins over the template."""
    if api_base:
        return api_base.rstrip("/")
    return (template or DEFAULT_BASE_URL_TEMPLATE).format(subdomain=subdomain).rstrip("/")


def is_default_base(subdomain: str, base_url: str) -> bool:
    return base_url.rstrip("/") == DEFAULT_BASE_URL_TEMPLATE.format(subdomain=subdomain)


def authorize_url(base_url: str) -> str:
    return f"{base_url}/oauth/authorizations/new"


def token_url(base_url: str) -> str:
    return f"{base_url}/oauth/tokens"


def app_installation_audience(subdomain: str, app_installation_id: str) -> str:
    """The `aud` of a signed-URL JWT: always the zendesk.com URL of the app installation."""
    return f"https://{subdomain}.zendesk.com/api/v2/apps/installations/{app_installation_id}.json"


def subdomain_from_issuer(issuer: object) -> str | None:
    """'acme.zendesk.com' or 'https://acme.zendesk.com' -> 'acme'; anything else -> None."""
    if not isinstance(issuer, str):
        return None
    host = issuer.removeprefix("https://").rstrip("/")
    if not host.endswith(".zendesk.com"):
        return None
    candidate = host[: -len(".zendesk.com")]
    return candidate if SUBDOMAIN_RE.match(candidate) else None

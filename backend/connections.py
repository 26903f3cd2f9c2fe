"""Connecting a gateway account: validate input, check the credentials, store them encrypted."""
from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy.orm import Session

from .gateways import adapter_for
from .integrations.gateways import GatewayAdapter, adapter_class
from .integrations.gateways.errors import GatewayAuthError, GatewayError
from .integrations.gateways.records import ObjectKind
from .models import Account, GatewayConnection


class ConnectionError_(ValueError):
    """Bad connection input or refused credentials, phrased for a person."""


def _check_api_base(api_base: str | None) -> str | None:
    if not api_base:
        return None
    parsed = urlparse(api_base)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConnectionError_(f"--api-base must be an http(s) URL, got {api_base!r}")
    return api_base.rstrip("/")


def create_connection(session: Session, account: Account, *, kind: str, credentials: dict[str, str],
                      webhook_secrets: list[str], api_base: str | None, name: str | None = None,
                      verify: bool = True) -> GatewayConnection:
    cls = adapter_class(kind)
    missing = [o.name for o in cls.connect_options if o.required and not credentials.get(o.name)]
    if missing:
        raise ConnectionError_("missing " + ", ".join("--" + m.replace("_", "-") for m in missing))
    if cls.webhook_secret_required and not webhook_secrets:
        raise ConnectionError_(f"{kind} signs webhooks with a shared secret: pass --webhook-secret")
    connection = GatewayConnection(account_id=account.id, kind=kind, name=name or kind.capitalize(),
                                   credentials=credentials, webhook_secrets=webhook_secrets or None,
                                   api_base=_check_api_base(api_base))
    adapter = _adapter(connection)
    if verify:
        _verify_credentials(connection, adapter)
    session.add(connection)
    session.flush()
    return connection


def _adapter(connection: GatewayConnection) -> GatewayAdapter:
    """Build the adapter now (no I/O), so a setting it refuses is reported, not stored."""
    try:
        return adapter_for(connection)
    except (GatewayError, ValueError) as exc:
        raise ConnectionError_(f"cannot use these {connection.kind} settings: {_one_line(exc)}") from None


def _verify_credentials(connection: GatewayConnection, adapter: GatewayAdapter) -> None:
    """One cheap read, so a typo in a key is caught now and not at the first refund."""
    try:
        adapter.list_page(ObjectKind.CUSTOMER, cursor=None, limit=1)
    except GatewayAuthError as exc:
        raise ConnectionError_(f"{connection.kind} refused these credentials: {_one_line(exc)}") from None
    except GatewayError as exc:
        raise ConnectionError_(f"could not reach {connection.kind}: {_one_line(exc)}") from None


def _one_line(exc: Exception) -> str:
    """Vendor messages may span lines (Stripe's network errors do); the CLI prints one line."""
    return " ".join(str(getattr(exc, "message", None) or exc).split())

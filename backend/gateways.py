"""Bridge from a stored GatewayConnection to a live adapter (secrets decrypted only here)."""
from __future__ import annotations

from .integrations.gateways import GatewayAdapter, GatewayConfig, adapter_class, build_adapter
from .models import GatewayConnection


def config_for(connection: GatewayConnection) -> GatewayConfig:
    return GatewayConfig(
        connection_id=str(connection.id),
        credentials=dict(connection.credentials or {}),
        api_base=connection.api_base,
        webhook_secrets=tuple(connection.webhook_secrets or ()),
        settings=dict(connection.settings or {}),
    )


def adapter_for(connection: GatewayConnection) -> GatewayAdapter:
    return build_adapter(connection.kind, config_for(connection))


def capabilities_of(kind: str) -> frozenset:
    return adapter_class(kind).capabilities

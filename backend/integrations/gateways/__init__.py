"""Payment gateways: the adapter contract, the registry keyed by gateway name, the records.

The registry maps a name to the import path of its adapter, imported on first use, so a
deployment that only uses Stripe never imports the Braintree SDK. This is the one place that
knows which gateways exist; nothing else branches on a gateway's name.
"""
from __future__ import annotations

from importlib import import_module

from .contract import Capability, GatewayAdapter, GatewayConfig, Operation
from .errors import GatewayError, Unsupported

_ADAPTERS: dict[str, str] = {
    "stripe": "backend.integrations.gateways.stripe.adapter:StripeAdapter",
    "braintree": "backend.integrations.gateways.braintree.adapter:BraintreeAdapter",
    "recurly": "backend.integrations.gateways.recurly.adapter:RecurlyAdapter",
    "woocommerce": "backend.integrations.gateways.woocommerce.adapter:WooCommerceAdapter",
    "paypal": "backend.integrations.gateways.paypal.adapter:PayPalAdapter",
}
_loaded: dict[str, type] = {}


def gateway_names() -> tuple[str, ...]:
    return tuple(sorted(_ADAPTERS))


def register_gateway(name: str, import_path: str) -> None:
    """Add or replace a gateway (plugins, tests)."""
    _ADAPTERS[name] = import_path
    _loaded.pop(name, None)


def adapter_class(name: str) -> type:
    """The adapter class registered under `name`; Unsupported if none is."""
    if name not in _loaded:
        path = _ADAPTERS.get(name)
        if path is None:
            raise Unsupported(f"unknown gateway {name!r}; known: {', '.join(gateway_names())}")
        module_name, _, attr = path.partition(":")
        _loaded[name] = getattr(import_module(module_name), attr)
    return _loaded[name]


def build_adapter(name: str, config: GatewayConfig) -> GatewayAdapter:
    return adapter_class(name)(config)


__all__ = [
    "Capability", "GatewayAdapter", "GatewayConfig", "GatewayError", "Operation",
    "adapter_class", "build_adapter", "gateway_names", "register_gateway",
]

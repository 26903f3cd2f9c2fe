"""A stateful loopback emulator of the Braintree XML API subset ChargeDesk uses (demo + tests).

It speaks exactly what the official SDK sends and parses (XML bodies, Basic auth with the API
keys, X-ApiVersion) and enforces Braintree's money rules; it never imports the SDK itself.
"""
from .server import BraintreeSandbox

__all__ = ["BraintreeSandbox"]

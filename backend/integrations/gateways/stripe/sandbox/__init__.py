"""Stateful loopback emulator of the Stripe API subset ChargeDesk uses (tests, demo, benchmarks).

    sb = StripeSandbox(); url = sb.start()
    client = stripe.StripeClient("sk_test_...", base_addresses={"api": url}, max_network_retries=0)

The sandbox never imports the `stripe` SDK; it speaks Stripe's wire protocol instead.
"""
from .sandbox import StripeSandbox

__all__ = ["StripeSandbox"]

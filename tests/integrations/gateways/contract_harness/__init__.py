"""Per-gateway harnesses for the one contract suite (tests/integrations/gateways/test_gateway_contract.py).

Adding a gateway (PayPal, WooCommerce, custom) to the suite = one GatewayHarness subclass in this
package, listed in HARNESSES under its registry name. The suite runs over every registered
gateway and fails for one that has no harness, so a new adapter cannot skip the contract.
"""
from __future__ import annotations

from .base import GatewayHarness, SignedWebhook
from .braintree_harness import BraintreeHarness
from .paypal_harness import PayPalHarness
from .recurly_harness import RecurlyHarness
from .stripe_harness import StripeHarness
from .woocommerce_harness import WooCommerceHarness

HARNESSES: dict[str, type[GatewayHarness]] = {
    harness.name: harness for harness in (StripeHarness, BraintreeHarness, RecurlyHarness,
                                      WooCommerceHarness, PayPalHarness)
}

__all__ = ["HARNESSES", "GatewayHarness", "SignedWebhook"]

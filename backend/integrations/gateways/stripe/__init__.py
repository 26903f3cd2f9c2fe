"""Stripe gateway: client (the only module importing the `stripe` SDK), mappers, adapter, webhooks.

Nothing is imported here so that loading the package (e.g. for its sandbox) stays cheap; the
registry imports `backend.integrations.gateways.stripe.adapter:StripeAdapter` on first use.
"""

"""Braintree gateway: adapter over the official SDK (client.py), mappers, webhooks, sandbox."""

"""Zendesk: OAuth (authlib), the API client (zenpy), ZAF signed-URL JWTs, agent provisioning."""

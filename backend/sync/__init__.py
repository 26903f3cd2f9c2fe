"""Keeping the local mirror in step with gateways: backfill, webhook events, action results."""

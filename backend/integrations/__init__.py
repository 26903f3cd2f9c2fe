"""Vendor integrations: payment gateways and helpdesks. Vendor SDKs are imported only below here."""

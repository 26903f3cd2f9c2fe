"""Recurly gateway (API v2021-02-25, SDK `recurly` 4.x).

client.py, mappers.py, adapter.py, webhooks.py and the sandbox/ emulator; the registry loads
`adapter:RecurlyAdapter` lazily and only client.py imports the SDK.
"""

"""Host-facing endpoints of the Zendesk app (filled in with Zendesk)."""
from flask import Flask


def init_app(app: Flask) -> None:
    pass

"""Admin web UI: sign-in through a helpdesk's OAuth, account settings (filled in with Zendesk)."""
from flask import Flask


def init_app(app: Flask) -> None:
    pass

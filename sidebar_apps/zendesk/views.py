"""Zendesk's sidebar routes: none of its own any more.

POST /sidebar/zendesk is served by the generic view (sidebar_apps/views.py, /sidebar/<kind>) through
the registry's ZendeskHost; the ZAF SDK route comes from ZendeskHost.init_app. create_app() still
calls init_app() here; it has nothing left to bind.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to bind: kept so create_app()'s list of registrations stays valid."""

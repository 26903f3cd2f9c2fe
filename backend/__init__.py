"""ChargeDesk backend: create_app() binds configuration, database, jobs, API and pages."""
from __future__ import annotations

import logging

from flask import Flask

from .config import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "create_app"]


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app. `overrides` use unprefixed names (DATABASE_URL=...), winning over the env."""
    from . import api, crypto, db, jobs, serving
    from .api import sidebar_hot_path
    from .sync import webhook_hot_path
    from .web import edge, health, home, security_headers

    settings = load_settings(overrides)
    app = Flask(__name__, instance_path=str(settings.instance_path), template_folder="web/templates")
    app.config.update(SECRET_KEY=settings.secret_key, SETTINGS=settings, JSON_SORT_KEYS=False,
                      MAX_CONTENT_LENGTH=5 * 1024 * 1024)
    app.config.update((overrides or {}).get("FLASK", {}))
    edge.init_app(app)  # bounded <int:> converters: before any route is added
    security_headers.init_app(app)
    logging.basicConfig(level=logging.INFO if settings.env != "test" else logging.WARNING)
    logging.getLogger("stripe").setLevel(logging.WARNING)  # it logs every request at INFO
    serving.redact_request_logs()  # no requester emails in request logs
    crypto.configure(settings.encryption_keys)
    db.init_app(app, settings.database_url)
    jobs.init_app(app)
    api.init_app(app, extra_blueprints=_feature_blueprints())
    app.register_blueprint(health.bp)
    app.register_blueprint(home.bp)
    for register in _feature_registrations():
        register(app)
    sidebar_hot_path.install(app)
    webhook_hot_path.install(app)
    return app


def _feature_blueprints() -> list:
    """flask-smorest blueprints of feature modules (customers, actions, audit ...)."""
    from .api import actions, audit, customers, sidebar

    return [customers.blp, actions.blp, audit.blp, sidebar.blp]


def _feature_registrations() -> list:
    """Plain Flask registrations (webhooks, sidebars, portal), each a function of the app."""
    from sidebar_apps import shell

    from . import admin
    from .sync import webhooks

    return [webhooks.init_app, admin.init_app, shell.init_app]

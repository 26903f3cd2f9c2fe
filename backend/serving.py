"""Production serving with gunicorn, configured in code (no separate config file needed)."""
from __future__ import annotations

import gc

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    def __init__(self, app_factory, options: dict):
        self.app_factory = app_factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self):
        app = self.app_factory()
        freeze_startup_objects()
        return app


def freeze_startup_objects() -> None:
    """Move everything loaded at start-up (modules, the app, compiled statements) out of the
    garbage collector's sight: full collections then scan only what requests allocate, and forked
    workers keep sharing those pages copy-on-write. Long-lived processes only."""
    gc.collect()
    gc.freeze()


def serve(app_factory, *, bind: str, workers: int, threads: int = 4, access_log: bool = False) -> None:
    options = {"bind": bind, "workers": workers, "threads": threads, "worker_class": "gthread",
               "timeout": 60, "graceful_timeout": 10, "keepalive": 5,
               "accesslog": "-" if access_log else None, "preload_app": True}
    GunicornServer(app_factory, options).run()

"""Test-only fault injection: die like a killed worker at a named point of the pipeline.

Honoured only when CHARGEDESK_ENV=test, e.g. CHARGEDESK_TEST_CRASH_AFTER_GATEWAY=1 makes the
worker process exit right after the gateway accepted the call and before anything was recorded.
"""
from __future__ import annotations

import multiprocessing
import os

from flask import current_app


def crash_point(name: str) -> None:
    if current_app.config["SETTINGS"].env != "test":
        return
    if os.environ.get(f"CHARGEDESK_TEST_CRASH_{name.upper()}") == "1":
        for child in multiprocessing.active_children():  # RQ's scheduler: the whole worker goes down
            child.kill()
        os._exit(1)  # no cleanup, no rollback, no RQ bookkeeping: exactly like kill -9

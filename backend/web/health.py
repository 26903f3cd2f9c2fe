"""/healthz: is the database reachable, is the job queue reachable."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from .. import db, jobs

bp = Blueprint("health", __name__)


def _check(fn) -> str:
    try:
        return "ok" if fn() else "error"
    except Exception as exc:  # report, never crash the health check
        return f"error: {exc.__class__.__name__}"


@bp.get("/healthz")
def healthz():
    database = _check(lambda: db.session().execute(text("SELECT 1")).scalar() == 1)
    job_backend = jobs.backend()
    queue = _check(job_backend.ping)
    mode = "in-process" if isinstance(job_backend, jobs.InProcessBackend) else "redis"
    healthy = database == "ok" and queue == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database, "jobs": {"mode": mode, "status": queue}}
    return jsonify(body), 200 if healthy else 503


@bp.get("/ping")
def ping():
    """Liveness only (no database, no Redis): for load balancers, and the benches' baseline."""
    return jsonify({"ok": True})

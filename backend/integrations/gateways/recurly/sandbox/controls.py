"""HTTP controls under /_sandbox/ (loopback only, no auth): reset, faults, clock, inspection.

Not part of Recurly's API; they let a demo or an out-of-process test drive the sandbox.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint

from . import catalog, render
from .store import KINDS, ApiError
from .subscriptions import run_lifecycle
from .web import body, reply, store

bp = Blueprint("recurly_sandbox_controls", __name__, url_prefix="/_sandbox")


def add_failure(sb, *, count: int = 1, status: int = 500, path_prefix: str | None = None,
                after_commit: bool = False, method: str | None = None) -> None:
    """Make the next `count` matching API requests fail with `status`.

    after_commit=True applies the change first and then fails: the client sees an error
    although the gateway did the work (what reconcile() exists for).
    """
    if count < 1 or not 400 <= status <= 599:
        raise ValueError("count must be >= 1 and status a 4xx/5xx code")
    sb.failures.append({"count": count, "status": status, "path_prefix": path_prefix,
                        "after_commit": after_commit, "method": method})


def advance_clock(sb, seconds: float) -> None:
    """Move the sandbox's clock forward and run renewals/expiries that became due."""
    sb.clock_offset += timedelta(seconds=seconds)
    run_lifecycle(sb)


@bp.post("/reset")
def reset():
    sb = store()
    sb.reset()
    if body().get("seed", True):
        catalog.seed_catalog(sb)
    return reply({"ok": True})


@bp.post("/fail_next")
def fail_next():
    data = body()
    try:
        add_failure(store(), count=int(data.get("count", 1)), status=int(data.get("status", 500)),
                    path_prefix=data.get("path_prefix"),
                    after_commit=bool(data.get("after_commit", False)),
                    method=data.get("method"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    return reply({"ok": True})


@bp.post("/advance")
def advance():
    advance_clock(store(), float(body().get("seconds", 0)))
    return reply({"now": store().now()})


@bp.post("/webhook_endpoints")
def webhook_endpoints():
    data = body()
    if not data.get("url") or not data.get("secret"):
        raise ApiError(400, "bad_request", "url and secret are required")
    store().webhook_endpoints.append((data["url"], data["secret"]))
    return reply({"ok": True}, 201)


@bp.get("/objects/<kind>")
def objects(kind):
    if kind not in KINDS:
        raise ApiError(404, "not_found", f"kind must be one of {', '.join(KINDS)}")
    sb = store()
    return reply({"data": [render.RENDERERS[kind](sb, o) for o in sb.objects[kind].values()]})


@bp.get("/requests")
def requests_log():
    return reply({"data": store().requests})


@bp.get("/deliveries")
def deliveries():
    return reply({"data": store().deliveries})

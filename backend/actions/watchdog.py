"""Recover runs whose worker died, from inside the worker fleet (no cron needed).

Each claim schedules a delayed `watch_run` job (RQ scheduler, same queue) that fires after the
stale threshold; if the run is still `running` by then, the reaper reconciles it. RQ itself also
re-runs an abandoned job later (StartedJobRegistry cleanup); `execute_run` then finds its run
stale and hands it to the reaper. `chargedesk actions reap` remains for cron and manual use.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from .. import jobs
from ..jobs import job
from ..models import ActionRun, utcnow

log = logging.getLogger(__name__)
DEFAULT_STALE_SECONDS = 120  # well above the gateway timeout (20 s), so a slow call is not "dead"


def stale_after_seconds() -> float:
    """CHARGEDESK_ACTION_STALE_SECONDS, or the default."""
    raw = current_app.config["SETTINGS"].extra.get("ACTION_STALE_SECONDS")
    return float(raw) if raw else float(DEFAULT_STALE_SECONDS)


def is_stale(run: ActionRun, older_than: float) -> bool:
    since = run.claimed_at if run.status == "running" else run.updated_at
    return since is not None and since <= utcnow() - timedelta(seconds=older_than)


def watch(run: ActionRun) -> None:
    """Schedule the check for this claim (rescheduled by the next claim of the same run)."""
    try:
        jobs.enqueue_in(watch_run, run.id, delay_seconds=stale_after_seconds() + 5, job_id=f"watch-{run.id}")
    except Exception:  # noqa: BLE001 - a missing watchdog must never block the money action
        log.exception("could not schedule the watchdog of run %s", run.id)


@job
def watch_run(run_id: str) -> None:
    """Delayed job: reap the run if it is still running and stale; re-queue it if its job was lost."""
    from .outcomes import load_run
    from .reaper import recover_run, requeue_lost

    run, older_than = load_run(run_id), stale_after_seconds()
    if run is None or run.status not in ("running", "queued"):
        return
    if not is_stale(run, older_than):
        watch(run)
    elif run.status == "running":
        recover_run(run.id, older_than=older_than)
    else:
        requeue_lost(run)


def recover_if_abandoned(run_id: str) -> None:
    """A job found its run already claimed: if that claim is stale, its worker died."""
    from .outcomes import load_run
    from .reaper import recover_run

    run = load_run(run_id)
    if run is not None and run.status == "running" and is_stale(run, stale_after_seconds()):
        recover_run(run.id, older_than=stale_after_seconds())

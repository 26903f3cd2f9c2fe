"""Background jobs: RQ on Redis in production and tests; an in-process thread for the demo.

Jobs take record ids, never objects, and always run inside a fresh app context (their own DB
session). A job is enqueued under a stable id, so asking twice for the same work queues it once.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import queue as stdlib_queue
import threading
import time
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)
_EXT = "chargedesk.jobs"
_DUTIES = "chargedesk.worker_duties"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before retrying a job that raised."""

    max_retries: int = 3
    intervals: tuple[int, ...] = (2, 10, 60)


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_retries=0, intervals=())

_worker_app: Flask | None = None


def _app_for_job() -> Flask:
    """The app a job runs in: the current one, or (in an RQ worker) one built from the env."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    return _worker_app


def set_worker_app(app: Flask) -> None:
    global _worker_app
    _worker_app = app


def job(func: Callable) -> Callable:
    """Make `func` run in its own app context, wherever a worker calls it."""

    @functools.wraps(func)
    def run_in_context(*args, **kwargs):
        with _app_for_job().app_context():
            return func(*args, **kwargs)

    run_in_context.__wrapped_job__ = func
    return run_in_context


def job_id_for(func: Callable, record_id) -> str:
    """A stable id RQ accepts (letters, digits, _ and -): same function + record = same job."""
    return f"{func.__module__}.{func.__name__}-{record_id}".replace(".", "_")


def enqueue(func: Callable, record_id, *, job_id: str | None = None,
            retry: RetryPolicy = DEFAULT_RETRY, at_front: bool = False) -> str:
    """Queue `func(record_id)` once under a stable id; returns the job id."""
    job_id = job_id or job_id_for(func, record_id)
    current_app.extensions[_EXT].submit(func, record_id, job_id=job_id, retry=retry, at_front=at_front)
    return job_id


def enqueue_in(func: Callable, record_id, *, delay_seconds: float, job_id: str,
               retry: RetryPolicy = NO_RETRY) -> str:
    """Queue `func(record_id)` to run after a delay (watchdogs); the same id reschedules it."""
    current_app.extensions[_EXT].submit_in(func, record_id, delay_seconds=delay_seconds, job_id=job_id,
                                           retry=retry)
    return job_id


def forget_job(job_id: str) -> None:
    """Drop a job whose worker died mid-run (after its work was recovered), so the id can be reused."""
    current_app.extensions[_EXT].forget(job_id)


class RQBackend:
    def __init__(self, redis_url: str, queue_name: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(queue_name, connection=self.redis)

    def submit(self, func, record_id, *, job_id, retry, at_front) -> None:
        from rq import Retry
        from rq.exceptions import DuplicateJobError
        from rq.job import Job, JobStatus

        rq_retry = Retry(max=retry.max_retries, interval=list(retry.intervals)) if retry.max_retries else None
        kwargs = dict(args=(record_id,), job_id=job_id, retry=rq_retry, at_front=at_front,
                      result_ttl=300, failure_ttl=86400, unique=True)
        try:
            self.queue.enqueue_call(func, **kwargs)
        except DuplicateJobError:
            existing = Job.fetch(job_id, connection=self.redis)
            if existing.get_status(refresh=True) in (JobStatus.FINISHED, JobStatus.FAILED,
                                                     JobStatus.STOPPED, JobStatus.CANCELED):
                existing.delete()
                self.queue.enqueue_call(func, **kwargs)

    def submit_in(self, func, record_id, *, delay_seconds, job_id, retry) -> None:
        from datetime import timedelta

        from rq import Retry

        rq_retry = Retry(max=retry.max_retries, interval=list(retry.intervals)) if retry.max_retries else None
        self.queue.enqueue_in(timedelta(seconds=delay_seconds), func, record_id, job_id=job_id,
                              retry=rq_retry, result_ttl=300, failure_ttl=86400)

    def forget(self, job_id: str) -> None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            Job.fetch(job_id, connection=self.redis).delete()
        except NoSuchJobError:
            pass

    def ping(self) -> bool:
        return bool(self.redis.ping())

    # A flag is a counter: raising it bumps it (and gives a new one a TTL), so whoever lowers it
    # can tell whether it was raised again since they last read it.
    _RAISE = ("local v = redis.call('INCR', KEYS[1]) "
              "if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return v")
    _LOWER_IF = ("local v = redis.call('GET', KEYS[1]) if (v == false and ARGV[1] == '') or v == ARGV[1] "
                 "then redis.call('DEL', KEYS[1]) return 1 end return 0")

    def _script(self, source: str, key: str, arg) -> int:
        """One round trip: EVALSHA, or EVAL once if the server does not know the script yet."""
        from redis.exceptions import NoScriptError

        try:
            return self.redis.execute_command("EVALSHA", _sha1(source), 1, key, arg)
        except NoScriptError:
            return self.redis.execute_command("EVAL", source, 1, key, arg)

    def raise_flag(self, name: str, ttl: int) -> bool:
        """True if the flag was down (and is now up): one INCR, for coalescing work.

        Raw commands: redis-py's set() inspects its keyword arguments on every call, a quarter
        of the call's CPU on the webhook path, which raises a flag per stored batch."""
        return self._script(self._RAISE, f"chargedesk:flag:{name}", ttl) == 1

    def flag_state(self, name: str) -> str:
        """What lower_flag_if compares: how often the flag was raised ("" when it is down)."""
        value = self.redis.execute_command("GET", f"chargedesk:flag:{name}")
        return value.decode() if value is not None else ""

    def lower_flag_if(self, name: str, seen: str) -> bool:
        """Lower the flag unless it was raised since `seen` was read; True if lowered (or down)."""
        return self._script(self._LOWER_IF, f"chargedesk:flag:{name}", seen) == 1

    def lower_flag(self, name: str) -> None:
        self.redis.delete(f"chargedesk:flag:{name}")


@functools.lru_cache(maxsize=None)
def _sha1(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


class InProcessBackend:
    """Demo-only worker: one daemon thread, same retry policy, no Redis."""

    def __init__(self, app: Flask):
        self.app = app
        self.tasks: stdlib_queue.Queue = stdlib_queue.Queue()
        self.pending: set[str] = set()
        self.flags: dict[str, int] = {}
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="chargedesk-jobs")
        self.thread.start()

    def submit(self, func, record_id, *, job_id, retry, at_front) -> None:
        with self.lock:
            if job_id in self.pending:
                return
            self.pending.add(job_id)
        self.tasks.put((func, record_id, job_id, retry))

    def submit_in(self, func, record_id, *, delay_seconds, job_id, retry) -> None:
        timer = threading.Timer(delay_seconds, self.submit, (func, record_id),
                                {"job_id": job_id, "retry": retry, "at_front": False})
        timer.daemon = True
        timer.start()

    def forget(self, job_id: str) -> None:
        with self.lock:
            self.pending.discard(job_id)

    def _loop(self) -> None:
        while True:
            func, record_id, job_id, retry = self.tasks.get()
            try:
                self._run_with_retries(func, record_id, retry)
            finally:
                with self.lock:
                    self.pending.discard(job_id)
                self.tasks.task_done()

    def _run_with_retries(self, func, record_id, retry: RetryPolicy) -> None:
        for attempt in range(retry.max_retries + 1):
            try:
                with self.app.app_context():
                    func(record_id)
                return
            except Exception:
                log.exception("job %s(%s) failed (attempt %d)", func.__name__, record_id, attempt + 1)
                if attempt < retry.max_retries:
                    time.sleep(retry.intervals[min(attempt, len(retry.intervals) - 1)])

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until queued work is done (demo seeding, tests of the embedded mode)."""
        deadline = time.monotonic() + timeout
        while self.tasks.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def ping(self) -> bool:
        return self.thread.is_alive()

    def raise_flag(self, name: str, ttl: int) -> bool:
        with self.lock:
            self.flags[name] = self.flags.get(name, 0) + 1
            return self.flags[name] == 1

    def flag_state(self, name: str) -> str:
        with self.lock:
            return str(self.flags.get(name, ""))

    def lower_flag_if(self, name: str, seen: str) -> bool:
        with self.lock:
            if str(self.flags.get(name, "")) != seen:
                return False
            self.flags.pop(name, None)
            return True

    def lower_flag(self, name: str) -> None:
        with self.lock:
            self.flags.pop(name, None)


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    if settings.embedded_jobs:
        app.extensions[_EXT] = InProcessBackend(app)
    else:
        app.extensions[_EXT] = RQBackend(settings.redis_url, settings.queue_name)


def add_worker_duty(app: Flask, start: Callable[[], None]) -> None:
    """Register what every RQ worker makes sure is scheduled when it starts (periodic sweeps)."""
    app.extensions.setdefault(_DUTIES, []).append(start)


def start_worker_duties(app: Flask) -> None:
    """Schedule the registered duties; one that fails is logged and does not stop the worker."""
    with app.app_context():
        for start in app.extensions.get(_DUTIES, ()):
            try:
                start()
            except Exception:  # noqa: BLE001 - the worker still works; the next start retries
                log.exception("could not schedule worker duty %s", getattr(start, "__name__", start))


def backend(app: Flask | None = None):
    return (app or current_app).extensions[_EXT]


def run_worker(app: Flask, *, burst: bool = False, simple: bool = True, name: str | None = None) -> None:
    """Run an RQ worker (with the scheduler, so retries with backoff fire) for this app's queue."""
    from rq import SimpleWorker, Worker

    set_worker_app(app)
    rq_backend = backend(app)
    if not isinstance(rq_backend, RQBackend):
        raise RuntimeError("CHARGEDESK_REDIS_URL is not set: nothing to work on (the demo runs jobs in-process)")
    worker_cls = SimpleWorker if simple else Worker
    worker = worker_cls([rq_backend.queue], connection=rq_backend.redis, name=name)
    from .serving import freeze_startup_objects

    start_worker_duties(app)
    freeze_startup_objects()
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")

"""Racing issuers on PostgreSQL: threads, real RQ worker processes, and a worker killed mid-render."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from backend import jobs
from backend.db import session
from backend.documents.tasks import issue_document
from backend.models import Document
from tests.conftest import REPO, wait_for

from .conftest import charge, customer, write

N = 30


def _receipts() -> list[tuple[int, str, bool]]:
    s = session()
    s.rollback()
    rows = s.execute(select(Document.number, Document.source, Document.storage_key.is_not(None))
                     .where(Document.kind == "receipt").order_by(Document.number)).all()
    return [tuple(r) for r in rows]


def _assert_gapless_one_per_charge(rows, connection_id, expected_count):
    assert [number for number, _s, _r in rows] == list(range(1, expected_count + 1))
    sources = [source for _n, source, _r in rows]
    assert len(set(sources)) == len(sources) == expected_count
    assert all(s.startswith(f"{connection_id}:ch_") for s in sources)


def test_eight_threads_issuing_the_same_charges_make_one_gapless_receipt_each(app, connection):
    write(connection, customer(), *[charge(f"ch_{i}", 100 + i) for i in range(N)])
    errors = []

    def issue_all(seed):
        order = list(range(N))
        random.Random(seed).shuffle(order)
        try:
            for i in order:
                with app.app_context():
                    issue_document(["receipt", connection.id, f"ch_{i}"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue_all, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    rows = _receipts()
    _assert_gapless_one_per_charge(rows, connection.id, N)
    assert all(rendered for _n, _s, rendered in rows)


def test_real_rq_workers_racing_on_duplicate_jobs(app, ctx, connection, rq_worker):
    write(connection, customer(), *[charge(f"ch_{i}", 100 + i) for i in range(N)])  # queues one job per charge
    for i in range(N):  # duplicates under other job ids, as a replayed event or a second sync would
        jobs.enqueue(issue_document, ["receipt", connection.id, f"ch_{i}"], job_id=f"dup-{i}")
    workers = [rq_worker() for _ in range(3)]
    wait_for(lambda: len([r for r in _receipts() if r[2]]) == N, timeout=120, message="30 rendered receipts")
    _assert_gapless_one_per_charge(_receipts(), connection.id, N)
    assert all(w.proc.poll() is None for w in workers)


def test_a_worker_killed_mid_render_leaves_no_gap_and_the_replay_completes(app, ctx, connection, worker_env):
    write(connection, customer(), *[charge(f"ch_{i}", 100 + i) for i in range(N)])
    exe = Path(sys.executable).with_name("chargedesk")
    # Its own process group: SIGKILL takes the worker and its scheduler child down together.
    worker = subprocess.Popen([str(exe), "worker", "--name", "doomed"], env=worker_env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: len(_receipts()) >= 5, timeout=60, message="some receipts")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    issued = _receipts()
    assert [n for n, _s, _r in issued] == list(range(1, len(issued) + 1))  # committed numbers: no gap
    for i in range(N):  # what a retry, a replayed webhook or `documents render` does
        issue_document(["receipt", connection.id, f"ch_{i}"])
    rows = _receipts()
    _assert_gapless_one_per_charge(rows, connection.id, N)
    assert all(rendered for _n, _s, rendered in rows)
    assert session().scalar(select(func.count()).select_from(Document)) == N

"""Benchmark: receipt rendering against bare weasyprint, and 1,000 receipts issued by 2 workers.

    .venv/bin/python bench/receipts.py [--renders 20] [--count 1000] [--workers 2]

1. Render: the same one-page receipt, timed alternately as (a) bare weasyprint on the finished
   HTML (`HTML(string=html).write_pdf()`) and (b) our render_pdf(content) (Jinja template,
   translations, Babel money, weasyprint with the data:-only URL fetcher). Target: median
   ratio <= 1.3.
2. Issue: a scratch PostgreSQL database, a Redis queue of its own; `count` succeeded charges are
   written through the shared upsert path (as webhooks are), which queues one job per charge;
   `workers` real `chargedesk worker` processes issue and render them. Automatic email is
   turned off for the account (sending is measured by the tests, not here). Reports the wall
   time and checks the numbers are 1..count with one receipt per charge.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import bench_env, scratch_database  # noqa: E402

REDIS_URL = os.environ.get("CHARGEDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SAMPLE = {
    "kind": "receipt", "number": "R-2026-000123", "issued_at": "2026-12-05T01:00:00+00:00",
    "paid_at": "2026-12-04T10:00:00+00:00", "currency": "EUR",
    "seller": {"name": "Acme", "legal_name": "Acme Software GmbH", "address": "Hauptstraße 1\n10115 Berlin",
               "tax_id": "DE136695976", "support_email": "support@acme.test", "color": "#aa3300", "logo": "",
               "footer": "Acme Software GmbH · HRB 12345"},
    "buyer": {"name": "Jean Dupont", "email": "jean@example.fr", "address": "1 rue de la Paix\n75002 Paris",
              "tax_ids": [{"type": "eu_vat", "value": "FR40303265045", "country": "FR", "valid": True}]},
    "lines": [{"description": "Pro plan (monthly)", "quantity": 1, "amount_minor": 10000},
              {"description": "Extra seats", "quantity": 3, "amount_minor": 2000}],
    "tax_lines": [], "subtotal_minor": 12000, "tax_minor": 0, "total_minor": 12000, "paid_minor": 12000,
    "payment_method": {"brand": "visa", "last4": "4242"}, "gateway_invoice_number": "INV-0042",
    "reverse_charge": True,
}


def bench_render(n: int) -> None:
    from weasyprint import HTML

    from backend.documents.render import render_html, render_pdf

    html = render_html(SAMPLE, locale="fr_FR")
    HTML(string=html).write_pdf(), render_pdf(SAMPLE, locale="fr_FR")  # warm fonts and caches
    bare, ours = [], []
    for _ in range(n):
        t = time.perf_counter()
        HTML(string=html).write_pdf()
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        render_pdf(SAMPLE, locale="fr_FR")
        ours.append(time.perf_counter() - t)
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"render: bare weasyprint median {b * 1000:.1f} ms, render_pdf median {o * 1000:.1f} ms, "
          f"ratio {o / b:.2f} (target <= 1.3) over {n} alternating runs")


def bench_issue(count: int, workers: int) -> None:
    with scratch_database() as url:
        env = bench_env(url.replace("postgresql://", "postgresql+psycopg://"), CHARGEDESK_REDIS_URL=REDIS_URL,
                        CHARGEDESK_INSTANCE_PATH=str(Path("/tmp") / f"chargedesk-bench-receipts-{os.getpid()}"))
        overrides = {k.removeprefix("CHARGEDESK_"): v for k, v in env.items() if k.startswith("CHARGEDESK_")}
        from backend import create_app, schema
        from backend.db import engine

        app = create_app(overrides)
        with app.app_context():
            schema.upgrade(engine())
            connection_id = _seed(count)
            procs = [subprocess.Popen([str(Path(sys.executable).with_name("chargedesk")), "worker", "--name",
                                       f"bench-receipts-{i}-{os.getpid()}"], env=env, cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                     for i in range(workers)]
            try:
                start = time.perf_counter()
                done = _wait_rendered(count, timeout=count * 2)
                elapsed = time.perf_counter() - start
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(30)
            _report(count, workers, done, elapsed, connection_id)
            engine().dispose()


def _seed(count: int) -> int:
    from backend.accounts import create_account
    from backend.db import session, transaction
    from backend.integrations.gateways.records import ChargeRecord, ChargeStatus, CustomerRecord
    from backend.models import GatewayConnection
    from backend.sync.upsert import upsert_records

    with transaction() as s:
        account = create_account(s, name="Bench", slug="bench")
        account.settings = {"documents": {"auto_send": False}}
        account.seller_tax_id, account.seller_legal_name = "DE136695976", "Bench GmbH"
        conn = GatewayConnection(account_id=account.id, kind="stripe", credentials={"api_key": "sk"},
                                 created_at=datetime.now(timezone.utc) - timedelta(days=1))
        s.add(conn)
    s = session()
    upsert_records(s, conn, [CustomerRecord("cus_1", "jean@example.fr", "Jean")])
    s.commit()
    now = datetime.now(timezone.utc)
    for page in range(0, count, 100):
        records = [ChargeRecord(f"ch_{i}", "cus_1", 1000 + i, "eur", ChargeStatus.SUCCEEDED, "succeeded",
                                amount_captured=1000 + i, card_brand="visa", card_last4="4242", created_at=now)
                   for i in range(page, min(page + 100, count))]
        upsert_records(s, conn, records)
        s.commit()  # after this commit the page's receipt jobs are queued
    return conn.id


def _wait_rendered(count: int, timeout: float) -> int:
    from sqlalchemy import func, select

    from backend.db import session
    from backend.models import Document

    deadline, done = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        s = session()
        done = s.scalar(select(func.count()).select_from(Document).where(Document.storage_key.is_not(None)))
        s.rollback()
        if done >= count:
            break
        time.sleep(0.5)
    return done


def _report(count, workers, done, elapsed, connection_id) -> None:
    from sqlalchemy import select

    from backend.db import session
    from backend.models import Document

    rows = session().execute(select(Document.number, Document.source).order_by(Document.number)).all()
    gapless = [n for n, _s in rows] == list(range(1, len(rows) + 1))
    one_each = len({s for _n, s in rows}) == len(rows) == count
    print(f"issue: {done}/{count} receipts issued and rendered by {workers} workers in {elapsed:.1f} s "
          f"({done / elapsed:.1f}/s); numbers 1..{len(rows)} gapless: {gapless}; one per charge: {one_each}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    bench_render(args.renders)
    if args.count:
        bench_issue(args.count, args.workers)


if __name__ == "__main__":
    main()

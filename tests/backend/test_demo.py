"""The README's first command: `chargedesk demo` starts, seeds, and its URL answers."""
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests


def start_demo(cwd, env, *args):
    """`chargedesk demo --port 0 ARGS` until it is ready: (process, base URL, API key, output)."""
    exe = Path(sys.executable).with_name("chargedesk")
    proc = subprocess.Popen([str(exe), "demo", "--port", "0", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise AssertionError("demo exited early:\n" + "".join(lines))
        lines.append(line)
        if "Press Ctrl+C" in line:
            break
    output = "".join(lines)
    url = re.search(r"running at (http://127\.0\.0\.1:\d+)/", output).group(1)
    key = re.search(r"API key: (cdk_\S+)", output).group(1)
    return proc, url, key, output


def stop(proc) -> None:
    proc.terminate()
    proc.wait(timeout=15)


def demo_env(worker_env) -> dict:
    return {k: v for k, v in worker_env.items() if not k.startswith("CHARGEDESK_")}


def test_demo_starts_seeded_and_answers(tmp_path, worker_env):
    proc, url, key, output = start_demo(tmp_path, demo_env(worker_env))
    try:
        assert requests.get(f"{url}/healthz", timeout=5).json()["status"] == "ok"
        assert "ChargeDesk" in requests.get(f"{url}/", timeout=5).text
        found = requests.get(f"{url}/api/v1/customers", params={"email": "ada@example.com"},
                             headers={"Authorization": f"Bearer {key}"}, timeout=5).json()["data"]
        assert found and all(c["name"] == "Ada Lovelace" for c in found)
        detail = requests.get(f"{url}/api/v1/customers/{found[0]['id']}",
                              headers={"Authorization": f"Bearer {key}"}, timeout=5).json()
        assert len(detail["charges"]) >= 3
        assert (tmp_path / "instance" / "demo.sqlite3").exists()
        assert_history_in_every_gateway(url, key, found, tmp_path / "instance" / "demo.sqlite3")
        assert_every_helpdesk_preview(url, output)
        assert_receipts_for_seeded_payments(url, key)
    finally:
        stop(proc)


def assert_receipts_for_seeded_payments(url: str, key: str) -> None:
    """The demo has receipts to show: listed, unsent (history emails nobody), and a real PDF."""
    headers = {"Authorization": f"Bearer {key}"}
    docs = requests.get(f"{url}/api/v1/documents", params={"kind": "receipt"}, headers=headers, timeout=10)
    assert docs.status_code == 200, docs.text
    receipts = docs.json()["data"]
    assert receipts, "the demo issued no receipts"
    pdf = requests.get(f"{url}/api/v1/documents/{receipts[0]['id']}/pdf", headers=headers, timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.status_code


def assert_every_helpdesk_preview(url: str, output: str) -> None:
    """Each registered helpdesk with a demo is started and linked (printed and on the home page)."""
    home = requests.get(f"{url}/", timeout=5).text
    for path in ("/demo/zendesk", "/demo/helpscout"):
        assert f"{url}{path}" in output and path in home
        assert requests.get(f"{url}{path}", timeout=10).status_code == 200


def test_demo_keep_reuses_the_last_database(tmp_path, worker_env):
    """`--keep` (README) starts again on the same database: same account and history, new sandboxes."""
    env = demo_env(worker_env)
    proc, _url, _key, _output = start_demo(tmp_path, env)
    database = tmp_path / "instance" / "demo.sqlite3"
    stop(proc)
    with sqlite3.connect(database) as db:
        accounts_before = db.execute("SELECT id, slug FROM accounts").fetchall()
        audit_before = db.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    proc, url, key, output = start_demo(tmp_path, env, "--keep")
    try:
        with sqlite3.connect(database) as db:
            assert db.execute("SELECT id, slug FROM accounts").fetchall() == accounts_before
            assert db.execute("SELECT count(*) FROM audit_entries").fetchone()[0] >= audit_before
        found = requests.get(f"{url}/api/v1/customers", params={"email": "ada@example.com"},
                             headers={"Authorization": f"Bearer {key}"}, timeout=5).json()["data"]
        assert_history_in_every_gateway(url, key, found, database)  # once per gateway: no stale copies
        assert_every_helpdesk_preview(url, output)
    finally:
        stop(proc)


def assert_history_in_every_gateway(url: str, key: str, found: list[dict], database) -> None:
    """Ada is mirrored from one connection per demo gateway, each with charges and a subscription."""
    with sqlite3.connect(database) as db:
        kinds = dict(db.execute("SELECT id, kind FROM gateway_connections").fetchall())
    by_kind = {kinds[c["connection_id"]]: c for c in found}
    from backend.integrations.gateways import gateway_names

    assert sorted(by_kind) == sorted(gateway_names()) and len(found) == len(gateway_names())  # one per gateway
    for kind, customer in by_kind.items():
        detail = requests.get(f"{url}/api/v1/customers/{customer['id']}",
                              headers={"Authorization": f"Bearer {key}"}, timeout=5).json()
        assert detail["charges"] and detail["subscriptions"], f"no history from {kind}"
        assert detail["refunds"], f"the demo refund from {kind} is not mirrored"

"""The README's first command: `chargedesk demo` starts, seeds, and its URL answers."""
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests


def test_demo_starts_seeded_and_answers(tmp_path, worker_env):
    env = {k: v for k, v in worker_env.items() if not k.startswith("CHARGEDESK_")}
    exe = Path(sys.executable).with_name("chargedesk")
    proc = subprocess.Popen([str(exe), "demo", "--port", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines, deadline = [], time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "demo exited early:\n" + "".join(lines)
            lines.append(line)
            if "Press Ctrl+C" in line:
                break
        output = "".join(lines)
        url = re.search(r"running at (http://127\.0\.0\.1:\d+)/", output).group(1)
        key = re.search(r"API key: (cdk_\S+)", output).group(1)
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
    finally:
        proc.terminate()
        proc.wait(timeout=15)


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

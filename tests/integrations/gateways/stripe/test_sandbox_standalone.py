"""The standalone sandbox (`python -m ...stripe.sandbox`, used by the benches): keep-alive like Stripe."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[4]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_standalone_sandbox_keeps_connections_alive(monkeypatch):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "backend.integrations.gateways.stripe.sandbox", "--port",
                             str(port)], cwd=REPO, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.post(f"{url}/_sandbox/reset", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        connects = []
        real_connect = socket.socket.connect
        monkeypatch.setattr(socket.socket, "connect", lambda sock, address: (
            connects.append(address), real_connect(sock, address))[1])
        with requests.Session() as http:
            auth = {"Authorization": "Bearer sk_test_standalone_123"}
            created = http.post(f"{url}/v1/customers", data={"email": "k@example.com"}, headers=auth)
            refused = http.post(f"{url}/v1/customers", data={"bogus": "1"}, headers=auth)
            missing = http.get(f"{url}/v1/nothing-here", headers=auth)
            fetched = http.get(f"{url}/v1/customers/{created.json()['id']}", headers=auth)
        assert created.headers.get("Connection", "").lower() != "close"
        assert (refused.status_code, refused.json()["error"]["param"]) == (400, "bogus")
        assert missing.status_code == 404
        assert fetched.json()["email"] == "k@example.com"  # one state across requests
        assert len(connects) == 1  # every request reused the first one's connection
    finally:
        proc.terminate()
        proc.wait(timeout=20)

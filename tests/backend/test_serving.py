"""`chargedesk serve`: one listening socket per worker on TCP, and a taken port is refused plainly."""
from __future__ import annotations

import socket

from backend.serving import gunicorn_options, socket_per_worker

from tests.conftest import run_cli
from .test_cli import _one_error_line, cli_env  # noqa: F401 (cli_env is a fixture)


def test_tcp_binds_get_a_socket_per_worker_others_share_one():
    assert socket_per_worker("127.0.0.1:8000") and socket_per_worker("[::1]:8000")
    assert not socket_per_worker("unix:/run/chargedesk.sock")
    assert not socket_per_worker("127.0.0.1:0")  # each worker would pick its own port
    assert gunicorn_options(bind="0.0.0.0:80", workers=2, threads=4, access_log=False)["reuse_port"] is True
    assert gunicorn_options(bind="unix:/tmp/x.sock", workers=2, threads=4, access_log=False)["reuse_port"] is False


def test_a_port_in_use_is_one_error_line_even_with_reuse_port(cli_env):
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as another `chargedesk serve` holds it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_error_line(run_cli(["serve", "--bind", f"127.0.0.1:{port}"], cli_env, timeout=30))
    assert f"127.0.0.1:{port}" in line and "in use" in line.lower()


# Access logs keep no requester emails (issue 21, section 6).

def test_email_query_values_are_redacted_and_nothing_else():
    from backend.serving import redact_emails

    line = "GET /api/v1/sidebar/context?email=ada%40example.com&ticket=12&Email=b@c.example HTTP/1.1"
    assert redact_emails(line) == "GET /api/v1/sidebar/context?email=[redacted]&ticket=12&Email=[redacted] HTTP/1.1"
    assert redact_emails("GET /api/v1/customers?requester_email=x@y.example") == \
        "GET /api/v1/customers?requester_email=[redacted]"
    assert redact_emails("GET /ping?limit=2 HTTP/1.1") == "GET /ping?limit=2 HTTP/1.1"


def test_gunicorn_uses_the_redacting_access_logger_and_lets_the_app_answer_long_urls():
    from backend.serving import RedactingAccessLogger

    options = gunicorn_options(bind="127.0.0.1:8000", workers=2, threads=4, access_log=True)
    assert options["logger_class"] is RedactingAccessLogger and options["limit_request_line"] == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_served_request_with_an_email_is_logged_without_it(cli_env):
    """The real `chargedesk serve --access-log`: the access line has the path, not the address;
    an overlong URL is the app's JSON 414, not gunicorn's HTML."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    import pytest
    import requests

    from tests.conftest import REPO

    port = _free_port()
    exe = Path(sys.executable).with_name("chargedesk")
    proc = subprocess.Popen([str(exe), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-log"],
                            env=cli_env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{base}/ping", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail(f"chargedesk serve did not come up: {proc.communicate()[0].decode(errors='replace')}")
        assert requests.get(f"{base}/ping?email=secret.requester%40example.com&limit=1", timeout=5).ok
        too_long = requests.get(f"{base}/api/v1/account?q=" + "x" * 9000, timeout=5)
    finally:
        proc.terminate()
        try:
            output = proc.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0].decode(errors="replace")
    assert too_long.status_code == 414 and too_long.headers["Content-Type"] == "application/json"
    assert "too long" in too_long.json()["message"]
    assert "/ping?email=[redacted]&limit=1" in output, output
    assert "secret.requester" not in output


def test_werkzeugs_request_lines_are_redacted_too(app, caplog):
    """`chargedesk demo` serves with werkzeug, whose request log carries the query string."""
    import logging

    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "now",
                                           "GET /api/v1/customers?email=ada%40example.com HTTP/1.1", "200", "-")
    assert "email=[redacted]" in caplog.text and "ada" not in caplog.text

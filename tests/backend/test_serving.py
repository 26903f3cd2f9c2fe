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

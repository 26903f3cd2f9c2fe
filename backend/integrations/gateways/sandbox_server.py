"""Run a sandbox WSGI app on a loopback port in a background thread (tests, demo, benches)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (sandboxes serve thousands of calls in tests and benches),
    and HTTP/1.1 keep-alive, as the real APIs offer, so clients reuse their connections."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs) -> None:
        pass


@dataclass
class RunningServer:
    url: str
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve `app` on host:port (0 = a free port), threaded; returns its base URL."""
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name=f"sandbox:{server.port}")
    thread.start()
    return RunningServer(url=f"http://{host}:{server.port}", _server=server, _thread=thread)

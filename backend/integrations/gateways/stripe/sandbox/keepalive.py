"""A small WSGI server with HTTP/1.1 keep-alive, for the standalone sandbox (benchmarks).

api.stripe.com keeps connections open and the SDK reuses them; Werkzeug's development server
closes every connection after one response, so each call paid a TCP connect, a new server
thread and a close. One process (the sandbox state lives in it), one thread per connection.
Request bodies are read whole before the app runs, so the next request always starts clean.
"""
from __future__ import annotations

import io
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

MAX_LINE = 65536
IDLE_SECONDS = 75  # an idle kept-alive connection is closed after this long


class KeepAliveServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Http11Handler(ServerHandler):
    http_version = "1.1"


class KeepAliveRequestHandler(WSGIRequestHandler):
    """Serves requests on one connection until the client closes it (or asks to)."""

    protocol_version = "HTTP/1.1"
    wbufsize = -1  # buffered: a response leaves in one send at the flush, not one per header
    disable_nagle_algorithm = True
    timeout = IDLE_SECONDS  # an idle kept-alive connection is closed (and its thread ends)

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self) -> None:
        try:
            self._serve_one()
            self.wfile.flush()
        except (TimeoutError, ConnectionError):  # idle too long, or the client went away
            self.close_connection = True

    def _serve_one(self) -> None:
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > MAX_LINE:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # it answered the error itself
            return
        if self.headers.get("Transfer-Encoding"):  # only Content-Length framing is supported
            self.send_error(411)
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        handler = _Http11Handler(io.BytesIO(body), self.wfile, self.get_stderr(), self.get_environ(),
                                 multithread=True)
        handler.request_handler = self
        handler.run(self._framed(self.server.get_app()))

    def _framed(self, app):
        """A response without Content-Length ends when the connection closes."""
        def framed_app(environ, start_response):
            def start(status, headers, exc_info=None):
                if not any(name.lower() == "content-length" for name, _value in headers):
                    self.close_connection = True
                return start_response(status, headers, exc_info)
            return app(environ, start)
        return framed_app

    def log_request(self, *args, **kwargs) -> None:
        pass  # no access log line per request


def make_keepalive_server(host: str, port: int, app) -> KeepAliveServer:
    server = KeepAliveServer((host, port), KeepAliveRequestHandler)
    server.set_app(app)
    return server

"""A small closed-loop HTTP/1.1 load generator for loopback benches (keep-alive, N concurrent clients).

Each client is a thread with its own persistent connection that sends the next request as soon
as the previous answer is read. Requests are pre-encoded and parsing is minimal, so the generator
spends little CPU next to the server it measures. Bounded by time; loopback addresses only.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from itertools import cycle
from statistics import quantiles
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


class Connection:
    def __init__(self, host: str, port: int):
        if not (host.startswith("127.") or host in ("localhost", "::1")):
            raise ValueError(f"benches only talk to loopback, not {host!r}")
        self.address = (host, port)
        self._open()

    def _open(self) -> None:
        self.sock = socket.create_connection(self.address, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def exchange(self, request: bytes) -> int:
        """Send one request, read one whole response; returns the status code. A connection the
        server closed while it was idle (keep-alive timeout) is opened again once."""
        try:
            self.sock.sendall(request)
            self._fill()
        except (ConnectionError, BrokenPipeError):
            self.sock.close()
            self._open()
            self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        while len(self.buffer) < length:
            self._fill()
        self.buffer = self.buffer[length:]
        return status

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class Clients:
    """Keep-alive connections kept across runs. Endpoints measured one after the other over the
    same clients meet the same spread of connections over the server's workers (the kernel
    assigns each connection to a worker: with few clients, one worker can get most of them),
    so their rates compare like for like."""

    def __init__(self, url: str, concurrency: int):
        parts = urlsplit(url)
        self.connections = [Connection(parts.hostname, parts.port) for _ in range(concurrency)]

    def close(self) -> None:
        for conn in self.connections:
            conn.close()


def encode(url: str, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def run(urls: list[str], *, headers: dict[str, str], concurrency: int, seconds: float,
        warmup: float = 1.0, expect: int = 200, clients: Clients | None = None) -> Result:
    """Hit `urls` (round-robin per client) for `seconds` after `warmup`; latency of each request.
    Over `clients`' connections if given (one per client), else over new ones."""
    host, port = urlsplit(urls[0]).hostname, urlsplit(urls[0]).port
    requests = [encode(u, headers) for u in urls]
    start = time.perf_counter() + warmup
    stop = start + seconds
    per_client: list[tuple[list[float], int]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        offset = index * len(requests) // concurrency
        latencies, errors = [], 0
        conn = clients.connections[index] if clients else Connection(host, port)
        pending = cycle(requests[offset:] + requests[:offset])
        try:
            while (now := time.perf_counter()) < stop:
                status = conn.exchange(next(pending))
                done = time.perf_counter()
                if now >= start:
                    latencies.append((done - now) * 1000)
                    errors += status != expect
        finally:
            if clients is None:
                conn.close()
            with lock:
                per_client.append((latencies, errors))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = [ms for lat, _ in per_client for ms in lat]
    return Result(requests=len(latencies), errors=sum(e for _, e in per_client), seconds=seconds,
                  latencies_ms=latencies)


def once_each(urls: list[str], *, headers: dict[str, str], concurrency: int, expect: int = 200) -> Result:
    """Request every url exactly once (split over `concurrency` clients): e.g. first views."""
    host, port = urlsplit(urls[0]).hostname, urlsplit(urls[0]).port
    requests = [encode(u, headers) for u in urls]
    per_client: list[tuple[list[float], int]] = []
    lock = threading.Lock()

    def client(share: list[bytes]) -> None:
        latencies, errors = [], 0
        conn = Connection(host, port)
        try:
            for request in share:
                began = time.perf_counter()
                errors += conn.exchange(request) != expect
                latencies.append((time.perf_counter() - began) * 1000)
        finally:
            conn.close()
            with lock:
                per_client.append((latencies, errors))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(requests[i::concurrency],)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies = [ms for lat, _ in per_client for ms in lat]
    return Result(requests=len(latencies), errors=sum(e for _, e in per_client),
                  seconds=time.perf_counter() - started, latencies_ms=latencies)

"""Drive wrk (a C load generator) with pre-built requests; parse its latency and rate."""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

LUA = Path(__file__).with_name("wrk_requests.lua")


def _to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)([a-z]*)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "": 1000.0}[unit]


def run_wrk(base_url: str, requests_: list[tuple], *, seconds: int, connections: int, threads: int = 2) -> dict:
    """requests_: (method, path, body bytes|None, headers dict). Returns rps, p50/p99 ms, non-2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for method, path, body, headers in requests_:
            hdrs = "|".join(f"{k}: {v}" for k, v in headers.items())
            text = (body or b"").decode()
            assert "\t" not in text and "\n" not in text, "bodies must be single-line JSON"
            f.write(f"{method}\t{path}\t{hdrs}\t{text}\n")
        path = f.name
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                           "-s", str(LUA), base_url, "--", path, str(threads)], capture_output=True, text=True)
    Path(path).unlink()
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()} {done.stdout.strip()}")
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    # "Socket errors: connect 0, read 0, write 0, timeout 12": a stalled or refused connection
    # lowers the rate without any non-2xx answer, so a run with any is reported as disturbed.
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"requests": total, "rps": round(rps, 1), "non_2xx": non2xx, "socket_errors": socket_errors,
            "p50_ms": round(_to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)), 2),
            "p99_ms": round(_to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)), 2)}

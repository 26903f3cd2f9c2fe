"""`python -m backend.integrations.gateways.stripe.sandbox --port N`: a standalone sandbox on 127.0.0.1.

One process, HTTP/1.1 keep-alive (as api.stripe.com): see keepalive.py.
"""
from __future__ import annotations

import argparse

from .keepalive import make_keepalive_server
from .sandbox import StripeSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stripe API sandbox on loopback")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--host", default="127.0.0.1", help="loopback only, unless you know why")
    args = parser.parse_args(argv)
    sandbox = StripeSandbox()
    server = make_keepalive_server(args.host, args.port, sandbox.app)
    print(f"Stripe sandbox listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

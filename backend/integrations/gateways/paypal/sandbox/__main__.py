"""`python -m backend.integrations.gateways.paypal.sandbox --port N`: a standalone PayPal sandbox."""
from __future__ import annotations

import argparse
import time

from . import PayPalSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="PayPal REST API sandbox on loopback")
    parser.add_argument("--port", type=int, default=12151)
    parser.add_argument("--client-id", default="sandbox-client-id-0123456789")
    parser.add_argument("--client-secret", default="sandbox-client-secret-0123456789")
    args = parser.parse_args(argv)
    sandbox = PayPalSandbox(client_id=args.client_id, client_secret=args.client_secret)
    print(f"PayPal sandbox listening on {sandbox.start(port=args.port)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()

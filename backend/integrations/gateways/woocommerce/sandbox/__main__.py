"""`python -m backend.integrations.gateways.woocommerce.sandbox --port N`: a standalone sandbox."""
from __future__ import annotations

import argparse
import time

from . import WooCommerceSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="WooCommerce REST API sandbox on loopback")
    parser.add_argument("--port", type=int, default=12141)
    parser.add_argument("--consumer-key", default="ck_sandbox_0123456789abcdef")
    parser.add_argument("--consumer-secret", default="cs_sandbox_0123456789abcdef")
    parser.add_argument("--no-subscriptions", action="store_true", help="shop without WooCommerce Subscriptions")
    args = parser.parse_args(argv)
    sandbox = WooCommerceSandbox(consumer_key=args.consumer_key, consumer_secret=args.consumer_secret,
                                 subscriptions=not args.no_subscriptions)
    print(f"WooCommerce sandbox listening on {sandbox.start(port=args.port)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sandbox.stop()


if __name__ == "__main__":
    main()

"""A small error taxonomy every adapter maps its vendor errors onto. Only retryable ones retry."""
from __future__ import annotations


class GatewayError(Exception):
    """Base: `message` is fit to show to a support agent; `code` is the vendor's code if any."""

    retryable = False

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class GatewayAuthError(GatewayError):
    """Credentials refused (401/403): a person must reconnect the gateway."""


class GatewayRateLimited(GatewayError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class GatewayUnavailable(GatewayError):
    """Timeouts, connection errors and 5xx: the request may or may not have been applied."""

    retryable = True


class GatewayRejected(GatewayError):
    """The gateway understood and said no (decline, over-refund, bad state). Final."""


class GatewayNotFound(GatewayError):
    """The object does not exist at the gateway."""


class Unsupported(GatewayError):
    """The adapter does not offer this operation (see its capability set)."""


class WebhookVerificationError(GatewayError):
    """Signature missing, wrong, or outside the timestamp tolerance."""

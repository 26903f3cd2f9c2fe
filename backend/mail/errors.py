"""The one error of the mail package; `retryable` says whether trying again later may work."""
from __future__ import annotations


class MailError(Exception):
    """A message could not be built or handed over. Retryable: connection trouble and SMTP 4xx
    (the server says "later"); not retryable: SMTP 5xx and bad messages or settings."""

    def __init__(self, message: str, *, retryable: bool = False, smtp_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.smtp_code = smtp_code

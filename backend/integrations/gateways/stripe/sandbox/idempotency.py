"""Idempotency keys the way Stripe keeps them: per API key, replayed byte-for-byte, params must match."""
from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import StripeApiError


@dataclass(frozen=True)
class SavedResponse:
    method: str
    path: str
    fingerprint: str
    status: int
    body: bytes
    request_id: str


def fingerprint(params: dict) -> str:
    """A canonical form of the parsed params, so equal requests compare equal."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))


class IdempotencyStore:
    """(api key, idempotency key) -> the first response that executed."""

    def __init__(self) -> None:
        self._saved: dict[tuple[str, str], SavedResponse] = {}

    def clear(self) -> None:
        self._saved.clear()

    def lookup(self, api_key: str, key: str, method: str, path: str, params: dict) -> SavedResponse | None:
        """The saved response to replay, None if the key is new; 400 if reused for another request."""
        saved = self._saved.get((api_key, key))
        if saved is None:
            return None
        if (saved.method, saved.path) != (method, path):
            raise StripeApiError(
                "Keys for idempotent requests can only be used for the same endpoint they were first "
                f"used for ('{saved.method} {saved.path}' vs '{method} {path}'). Try using a key other "
                f"than '{key}' if you meant to execute a different request.", type="idempotency_error")
        if saved.fingerprint != fingerprint(params):
            raise StripeApiError(
                "Keys for idempotent requests can only be used with the same parameters they were first "
                f"used with. Try using a key other than '{key}' if you meant to execute a different "
                "request.", type="idempotency_error")
        return saved

    def save(self, api_key: str, key: str, response: SavedResponse) -> None:
        self._saved.setdefault((api_key, key), response)

    def keys(self) -> list[tuple[str, str]]:
        return list(self._saved)

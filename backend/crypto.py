"""Secrets at rest: Fernet (AES-128-CBC + HMAC) with MultiFernet for key rotation.

The first key encrypts; every key decrypts. Rotate by putting a new key first in
CHARGEDESK_ENCRYPTION_KEY and running `chargedesk keys rotate`.
"""
from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class DecryptionError(Exception):
    """A stored secret cannot be read with any configured key."""


class Keyring:
    def __init__(self, keys: tuple[str, ...]):
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise DecryptionError("stored secret cannot be decrypted with the configured keys") from None

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()


_keyring: Keyring | None = None


def configure(keys: tuple[str, ...]) -> None:
    """Bind the process-wide keyring (called by create_app)."""
    global _keyring
    _keyring = Keyring(keys)


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("encryption keys are not configured; create the app first")
    return _keyring


def generate_key() -> str:
    return Fernet.generate_key().decode()


class EncryptedJSON(TypeDecorator):
    """A JSON value stored as a Fernet token: unreadable in the raw table."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring().encrypt(json.dumps(value, sort_keys=True))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return json.loads(keyring().decrypt(value))

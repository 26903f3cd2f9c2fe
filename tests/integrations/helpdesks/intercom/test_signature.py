"""X-Body-Signature: hex HMAC-SHA256 of the raw body with the client secret, checked against openssl."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from backend.integrations.helpdesks.intercom.signature import SignatureError, sign, verify_body_signature

SECRET = "intercom-client-secret-for-tests"
BODY = b'{"workspace_id": "ws-acme",\n "admin": {"id": "1001"}, "note": "caf\xc3\xa9 \xe2\x82\xac"}'


def openssl_hmac(secret: str, body: bytes) -> str:
    out = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", secret], input=body, capture_output=True, check=True)
    return out.stdout.decode().strip().rsplit(" ", 1)[-1]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_signature_matches_openssl_over_the_exact_bytes():
    expected = openssl_hmac(SECRET, BODY)
    assert sign(SECRET, BODY) == expected and len(expected) == 64
    verify_body_signature(SECRET, BODY, expected)
    verify_body_signature(SECRET, BODY, expected.upper())  # hex is hex


def test_a_reserialized_body_does_not_verify():
    import json

    signature = sign(SECRET, BODY)
    with pytest.raises(SignatureError):
        verify_body_signature(SECRET, json.dumps(json.loads(BODY)).encode(), signature)


@pytest.mark.parametrize("signature", [None, "", "abc", "z" * 64, "0" * 64, "sha256=" + "0" * 64])
def test_missing_malformed_and_wrong_signatures_are_refused(signature):
    with pytest.raises(SignatureError):
        verify_body_signature(SECRET, BODY, signature)


def test_another_secret_or_no_secret_is_refused():
    with pytest.raises(SignatureError):
        verify_body_signature(SECRET, BODY, sign("another-secret", BODY))
    with pytest.raises(SignatureError):
        verify_body_signature("", BODY, sign("", BODY))

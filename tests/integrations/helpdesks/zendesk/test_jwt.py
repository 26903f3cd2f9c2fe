"""Signed-URL JWTs: only Zendesk's RS256 token for this installation opens the sidebar."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from backend.integrations.helpdesks.zendesk.emulator.signing import new_key_pair, signed_url_claims
from backend.integrations.helpdesks.zendesk.jwt import (
    CLOCK_SKEW_SECONDS, MAX_TOKEN_LIFETIME_SECONDS, ZafTokenError, unverified_subdomain, verify_zendesk_jwt,
)

SUB, INSTALL = "acme", "1001"


@pytest.fixture(scope="module")
def keys():
    return new_key_pair()


@pytest.fixture(scope="module")
def other_keys():
    return new_key_pair()


def token(private_pem: str, **changes) -> str:
    claims = signed_url_claims(subdomain=SUB, app_installation_id=INSTALL, user_id=77)
    claims.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        claims.pop(key)
    return jwt.encode(claims, private_pem, algorithm="RS256")


def verify(tok: str, public_pem: str):
    return verify_zendesk_jwt(tok, subdomain=unverified_subdomain(tok), app_installation_id=INSTALL,
                              public_key_pem=public_pem)


def test_valid_token_names_the_agent_and_location(keys):
    claims = verify(token(keys[0], context={"product": "support", "location": "user_sidebar"}), keys[1])
    assert (claims.subdomain, claims.user_id, claims.location) == ("acme", "77", "user_sidebar")


def test_integer_sub_and_https_issuer_are_accepted(keys):
    claims = verify(token(keys[0], sub=12345, iss="https://acme.zendesk.com"), keys[1])
    assert claims.user_id == "12345"


NOW = int(time.time())
BROKEN = {
    "expired": {"exp": NOW - 300, "iat": NOW - 600},
    "missing exp": {"exp": None},
    "missing iat": {"iat": None},
    "wrong audience": {"aud": "https://acme.zendesk.com/api/v2/apps/installations/9999.json"},
    "audience of another subdomain": {"aud": "https://evil.zendesk.com/api/v2/apps/installations/1001.json"},
    "wrong issuer": {"iss": "evil.zendesk.com"},
    "issuer not zendesk": {"iss": "acme.example.com"},
    "wrong product": {"context": {"product": "chat", "location": "ticket_sidebar"}},
    "wrong location": {"context": {"product": "support", "location": "nav_bar"}},
    "no context": {"context": None},
    "sub not a user id": {"sub": "admin"},
    "missing sub": {"sub": None},
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_broken_claim_is_rejected(keys, case):
    tok = token(keys[0], **BROKEN[case])
    with pytest.raises(ZafTokenError):
        verify_zendesk_jwt(tok, subdomain=SUB, app_installation_id=INSTALL, public_key_pem=keys[1])


def test_signature_by_another_key_is_rejected(keys, other_keys):
    with pytest.raises(ZafTokenError):
        verify(token(other_keys[0]), keys[1])


def test_hs256_token_signed_with_the_public_key_is_rejected(keys):
    """Algorithm confusion: the public key used as an HMAC secret must not verify."""
    claims = signed_url_claims(subdomain=SUB, app_installation_id=INSTALL, user_id=77)
    segments = [base64url(json.dumps({"alg": "HS256", "typ": "JWT"})), base64url(json.dumps(claims))]
    signing_input = ".".join(segments).encode()
    signature = hmac.new(keys[1].encode(), signing_input, hashlib.sha256).digest()
    forged = ".".join(segments + [base64.urlsafe_b64encode(signature).rstrip(b"=").decode()])
    with pytest.raises(ZafTokenError):
        unverified_subdomain(forged)
    with pytest.raises(ZafTokenError):
        verify_zendesk_jwt(forged, subdomain=SUB, app_installation_id=INSTALL, public_key_pem=keys[1])


def base64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("value", ["", "garbage", "a.b.c", "x" * 9000])
def test_malformed_tokens_are_rejected(value):
    with pytest.raises(ZafTokenError):
        unverified_subdomain(value)


def test_installation_without_key_rejects(keys):
    with pytest.raises(ZafTokenError):
        verify_zendesk_jwt(token(keys[0]), subdomain=SUB, app_installation_id="", public_key_pem="")


def test_a_token_living_longer_than_the_cap_is_rejected(keys):
    """Zendesk's tokens live ~5 minutes; a year-long one (minted with a stolen or swapped key to be
    replayed) is refused, even though its signature and every other claim are right."""
    now = int(time.time())
    with pytest.raises(ZafTokenError, match="lifetime"):
        verify(token(keys[0], iat=now, nbf=now, exp=now + 365 * 24 * 3600), keys[1])
    with pytest.raises(ZafTokenError, match="lifetime"):
        verify(token(keys[0], iat=now, nbf=now, exp=now + MAX_TOKEN_LIFETIME_SECONDS + 1), keys[1])
    assert verify(token(keys[0], iat=now, nbf=now, exp=now + MAX_TOKEN_LIFETIME_SECONDS), keys[1]).user_id == "77"


def test_a_token_issued_in_the_future_beyond_the_clock_skew_is_rejected(keys):
    """PyJWT refuses a future iat itself; our own check keeps it so whatever the library does."""
    now = int(time.time())
    future = now + CLOCK_SKEW_SECONDS + 60
    with pytest.raises(ZafTokenError):
        verify(token(keys[0], iat=future, nbf=None, exp=future + 300), keys[1])
    slightly_ahead = now + CLOCK_SKEW_SECONDS // 2  # within the skew: a clock a little fast
    assert verify(token(keys[0], iat=slightly_ahead, nbf=None, exp=slightly_ahead + 300), keys[1]).user_id == "77"


def test_non_numeric_iat_is_rejected(keys):
    now = int(time.time())
    with pytest.raises(ZafTokenError):
        verify(token(keys[0], iat="yesterday", exp=now + 300), keys[1])

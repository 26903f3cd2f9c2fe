"""Verify the RS256 JWT Zendesk posts to a signed-URL app location (form field `token`).

Docs: https://developer.zendesk.com/documentation/apps/build-an-app/building-a-server-side-app/part-5-secure-the-app/
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .urls import app_installation_audience, subdomain_from_issuer

SIDEBAR_LOCATIONS = ("ticket_sidebar", "user_sidebar")
CLOCK_SKEW_SECONDS = 30  # tolerated clock difference with Zendesk, for exp, nbf and iat
# Zendesk's signed-URL tokens live about 5 minutes (exp - iat = 300 s as observed; the emulator and
# the demo harness issue the same). A token claiming a longer life was not made by Zendesk's
# signer, or was made to be replayed: refuse anything above 10 minutes.
MAX_TOKEN_LIFETIME_SECONDS = 600
MAX_TOKEN_BYTES = 8192


class ZafTokenError(Exception):
    """The token is not a valid signed-URL token for us; the reason is for logs, never the page."""


@dataclass(frozen=True)
class ZafClaims:
    subdomain: str
    user_id: str  # the Zendesk user id of the agent, as a string
    location: str
    app_installation_id: str


def load_public_key_pem(pem: str) -> RSAPublicKey:
    """The app's RSA public key; ValueError with a readable message otherwise."""
    try:
        key = load_pem_public_key((pem or "").strip().encode())
    except (ValueError, TypeError):
        raise ValueError("not a PEM public key (it starts with -----BEGIN PUBLIC KEY-----)") from None
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the app public key must be an RSA key (Zendesk signs with RS256)")
    return key


def unverified_subdomain(token: str) -> str:
    """The subdomain named by `iss`, read before verification only to find the installation."""
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise ZafTokenError("missing or oversized token")
    try:
        header = pyjwt.get_unverified_header(token)
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError as exc:
        raise ZafTokenError(f"malformed token: {type(exc).__name__}") from None
    if header.get("alg") != "RS256":
        raise ZafTokenError(f"unexpected algorithm {header.get('alg')!r}")
    subdomain = subdomain_from_issuer(claims.get("iss"))
    if subdomain is None:
        raise ZafTokenError("issuer is not a zendesk.com subdomain")
    return subdomain


def verify_zendesk_jwt(token: str, *, subdomain: str, app_installation_id: str,
                       public_key_pem: str) -> ZafClaims:
    """Signature, exp/iat, iss, aud and context checked; the agent's Zendesk user id returned."""
    if not app_installation_id or not public_key_pem:
        raise ZafTokenError("the installation has no app installation id or public key yet")
    try:
        claims = pyjwt.decode(
            token, load_public_key_pem(public_key_pem), algorithms=["RS256"],
            audience=app_installation_audience(subdomain, str(app_installation_id)),
            leeway=CLOCK_SKEW_SECONDS, options={"require": ["exp", "iat", "iss", "aud", "sub"],
                                                "verify_sub": False})
    except (pyjwt.PyJWTError, ValueError) as exc:
        raise ZafTokenError(f"rejected: {type(exc).__name__}") from None
    if subdomain_from_issuer(claims["iss"]) != subdomain:
        raise ZafTokenError("issuer does not match the installation")
    _check_lifetime(claims)
    return ZafClaims(subdomain=subdomain, user_id=_agent_id(claims["sub"]), location=_location(claims),
                     app_installation_id=str(app_installation_id))


def _check_lifetime(claims: dict, *, now: float | None = None) -> None:
    """iat not in the future (beyond the clock skew) and exp - iat within the cap."""
    iat, exp = claims["iat"], claims["exp"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (iat, exp)):
        raise ZafTokenError("iat and exp must be numbers")
    if iat > (time.time() if now is None else now) + CLOCK_SKEW_SECONDS:
        raise ZafTokenError("issued in the future (iat beyond the clock skew)")
    if exp - iat > MAX_TOKEN_LIFETIME_SECONDS:
        raise ZafTokenError(f"lifetime exp - iat of {int(exp - iat)} s is above {MAX_TOKEN_LIFETIME_SECONDS} s")


def _agent_id(sub: object) -> str:
    if isinstance(sub, bool) or not isinstance(sub, (str, int)) or not str(sub).isdigit():
        raise ZafTokenError("sub is not a Zendesk user id")
    return str(sub)


def _location(claims: dict) -> str:
    context = claims.get("context")
    if not isinstance(context, dict) or context.get("product") != "support":
        raise ZafTokenError("context is not Zendesk Support")
    if context.get("location") not in SIDEBAR_LOCATIONS:
        raise ZafTokenError("context location is not a sidebar")
    return str(context["location"])

"""Zendesk's side of signed URLs: an RS256 key pair per app and the JWT it posts to the iframe.

Docs: https://developer.zendesk.com/documentation/apps/build-an-app/building-a-server-side-app/part-5-secure-the-app/
"""
from __future__ import annotations

import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh 2048-bit RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def signed_url_claims(*, subdomain: str, app_installation_id: str, user_id: int | str,
                      location: str = "ticket_sidebar", lifetime: int = 300, now: float | None = None) -> dict:
    """The claims Zendesk puts in the `token` form field of a signed-URL POST."""
    issued = int(now if now is not None else time.time())
    return {
        "iss": f"{subdomain}.zendesk.com",
        "aud": f"https://{subdomain}.zendesk.com/api/v2/apps/installations/{app_installation_id}.json",
        "sub": str(user_id), "iat": issued, "nbf": issued, "exp": issued + lifetime,
        "context": {"product": "support", "location": location},
    }


def sign_claims(claims: dict, private_pem: str) -> str:
    return jwt.encode(claims, private_pem, algorithm="RS256")

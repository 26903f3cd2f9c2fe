"""Bearer authentication for the REST API; the principal lands on flask.g."""
from __future__ import annotations

import functools

from flask import g, request

from ..auth.api_keys import principal_for_key
from ..auth.principal import Principal
from ..auth.sidebar_tokens import principal_for_sidebar_token
from ..db import session
from .errors import ApiError

# Each resolver: (session, token) -> Principal | None. API keys act as owner; sidebar tokens as an agent.
TOKEN_RESOLVERS: list = [principal_for_key, principal_for_sidebar_token]


def current_principal() -> Principal:
    return g.principal


INVALID_TOKEN = "Invalid or revoked API key."


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise ApiError(401, "Missing Authorization header; send 'Authorization: Bearer <API key>'.")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization header must be 'Bearer <API key>'.")
    return token.strip()


def authenticate() -> Principal:
    token = bearer_token()
    for resolve in TOKEN_RESOLVERS:
        principal = resolve(session(), token)
        if principal is not None:
            g.principal = principal
            return principal
    raise ApiError(401, INVALID_TOKEN)


def require_auth(view):
    """Decorator: 401 JSON unless a valid bearer token is sent."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)

    return wrapper

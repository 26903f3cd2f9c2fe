"""Stripe-shaped API errors: one exception type the router turns into Stripe's JSON error body."""
from __future__ import annotations

from typing import Any

DOC_BASE = "https://stripe.com/docs/error-codes/"

_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "idempotency_error": 400,
    "card_error": 402,
    "authentication_error": 401,
    "api_error": 500,
}


class StripeApiError(Exception):
    """An error the sandbox answers with, shaped like Stripe's `{"error": {...}}` body."""

    def __init__(self, message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, status: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.status = status or _STATUS_BY_TYPE.get(type, 400)
        self.extra = extra

    def body(self) -> dict:
        """The JSON body Stripe sends for this error."""
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_BASE + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        error.update({key: value for key, value in self.extra.items() if value is not None})
        return {"error": error}


def not_found(kind_label: str, object_id: str, *, param: str = "id") -> StripeApiError:
    """404 resource_missing, e.g. "No such charge: 'ch_x'"."""
    return StripeApiError(f"No such {kind_label}: '{object_id}'", code="resource_missing",
                          param=param, status=404)


def missing_param(name: str) -> StripeApiError:
    """400 parameter_missing."""
    return StripeApiError(f"Missing required param: {name}.", code="parameter_missing", param=name)


def unknown_param(name: str) -> StripeApiError:
    """400 parameter_unknown."""
    return StripeApiError(f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeApiError:
    """A generic 400 invalid_request_error."""
    return StripeApiError(message, code=code, param=param)


def unexpected_state(message: str, code: str, *, param: str | None = None) -> StripeApiError:
    """400 for an operation the object's current state does not allow."""
    return StripeApiError(message, code=code, param=param)


def unrecognized_url(method: str, path: str) -> StripeApiError:
    """404 for a route the sandbox does not know."""
    return StripeApiError(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
        "help at https://support.stripe.com/.", status=404)


def api_error(status: int = 500, message: str | None = None) -> StripeApiError:
    """An injected server-side failure (fail_next)."""
    if status == 429:
        return StripeApiError("Request rate limit exceeded. Learn more about rate limits here "
                              "https://stripe.com/docs/rate-limits.", code="rate_limit", status=429)
    return StripeApiError(message or "An unknown error occurred while processing your request "
                          "(injected by the sandbox).", type="api_error", status=status)

"""The only module that imports the Braintree SDK: one gateway per connection, errors mapped.

Methods return SDK resource objects (read only by mappers.py) or plain data, and raise only our
GatewayError taxonomy. Amounts go in as decimal strings already converted by the adapter.
"""
from __future__ import annotations

import datetime as dt
from base64 import decodebytes
from typing import Any, Callable, Iterable, TypeVar
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

import braintree
from braintree import WebhookNotification
from braintree.exceptions import (
    AuthenticationError, AuthorizationError, GatewayTimeoutError, InvalidSignatureError,
    NotFoundError, RequestTimeoutError, ServerError, ServiceUnavailableError,
    TooManyRequestsError, UnexpectedError, UpgradeRequiredError,
)
from braintree.exceptions.braintree_error import BraintreeError
from braintree.util.xml_util import XmlUtil

from ..contract import GatewayConfig
from ..errors import (
    GatewayAuthError, GatewayError, GatewayNotFound, GatewayRateLimited, GatewayRejected,
    GatewayUnavailable, WebhookVerificationError,
)
from .paging import SEARCH_FLOOR  # a created_at floor: the SDK's search needs >= 1 criterion

T = TypeVar("T")
_UNAVAILABLE = (ServerError, ServiceUnavailableError, GatewayTimeoutError, RequestTimeoutError,
                UnexpectedError, ExpatError, OSError)
_SEARCHES = {
    "transaction": ("transaction", braintree.TransactionSearch),
    "customer": ("customer", braintree.CustomerSearch),
    "subscription": ("subscription", braintree.SubscriptionSearch),
}


def environment_for(config: GatewayConfig) -> braintree.Environment:
    """api_base (a loopback sandbox) wins; else Production, or Sandbox if settings say so."""
    if config.api_base:
        parts = urlsplit(config.api_base)
        port = str(parts.port or (443 if parts.scheme == "https" else 80))
        return braintree.Environment("chargedesk_sandbox", parts.hostname, port,
                                     config.api_base, parts.scheme == "https", None)
    if config.settings.get("environment") == "sandbox":
        return braintree.Environment.Sandbox
    return braintree.Environment.Production


def _utc(moment: dt.datetime) -> dt.datetime:
    """The SDK formats datetimes with strftime(...Z), so hand it UTC."""
    return moment.astimezone(dt.timezone.utc) if moment.tzinfo else moment


def rejection(result: Any) -> GatewayRejected:
    """An ErrorResult as GatewayRejected: first validation error code, else the processor's."""
    errors = result.errors.deep_errors
    code = errors[0].code if errors else None
    transaction = getattr(result, "transaction", None)
    if code is None and transaction is not None:
        code = getattr(transaction, "processor_response_code", None)
    return GatewayRejected(result.message, code=code, http_status=422)


class BraintreeClient:
    """Thin, typed calls on one merchant's BraintreeGateway."""

    def __init__(self, config: GatewayConfig):
        creds = config.credentials
        self.gateway = braintree.BraintreeGateway(braintree.Configuration(
            environment_for(config), merchant_id=creds["merchant_id"],
            public_key=creds["public_key"], private_key=creds["private_key"],
            timeout=config.timeout_seconds, wrap_http_exceptions=True))

    def call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call, translating its exceptions into our taxonomy."""
        try:
            return operation(*args, **kwargs)
        except NotFoundError as exc:
            raise GatewayNotFound(str(exc) or "not found at Braintree", http_status=404) from exc
        except (AuthenticationError, AuthorizationError) as exc:
            raise GatewayAuthError("Braintree refused the API keys; reconnect the gateway",
                                   http_status=401) from exc
        except TooManyRequestsError as exc:
            raise GatewayRateLimited("Braintree rate limit reached", http_status=429) from exc
        except UpgradeRequiredError as exc:
            raise GatewayError("Braintree requires a newer SDK", http_status=426) from exc
        except _UNAVAILABLE as exc:
            raise GatewayUnavailable(f"Braintree unavailable: {type(exc).__name__}") from exc
        except BraintreeError as exc:
            raise GatewayError(f"Braintree error: {type(exc).__name__}: {exc}") from exc

    def result(self, operation: Callable[..., Any], attribute: str, *args: Any) -> Any:
        """Call, then unwrap a SuccessfulResult's `attribute` or raise GatewayRejected."""
        outcome = self.call(operation, *args)
        if outcome is None:
            raise GatewayUnavailable("Braintree returned an unexpected response")
        if not outcome.is_success:
            raise rejection(outcome)
        return getattr(outcome, attribute)

    # --- transactions ---------------------------------------------------------------------------
    def find_transaction(self, transaction_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/transaction/find/python"""
        return self.call(self.gateway.transaction.find, transaction_id)

    def sale(self, *, amount: str, payment_method_token: str | None = None,
             card_number: str | None = None, merchant_account_id: str | None = None,
             submit_for_settlement: bool = False, order_id: str | None = None) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/transaction/sale/python"""
        params: dict[str, Any] = {"amount": amount,
                                  "options": {"submit_for_settlement": submit_for_settlement}}
        if payment_method_token:
            params["payment_method_token"] = payment_method_token
        if card_number:
            params["credit_card"] = {"number": card_number, "expiration_date": "12/2030"}
        if merchant_account_id:
            params["merchant_account_id"] = merchant_account_id
        if order_id:
            params["order_id"] = order_id
        return self.result(self.gateway.transaction.sale, "transaction", params)

    def submit_for_settlement(self, transaction_id: str, *, amount: str | None) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/transaction/submit-for-settlement/python"""
        return self.result(self.gateway.transaction.submit_for_settlement, "transaction",
                           transaction_id, amount)

    def void(self, transaction_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/transaction/void/python"""
        return self.result(self.gateway.transaction.void, "transaction", transaction_id)

    def refund(self, transaction_id: str, *, amount: str | None, order_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/transaction/refund/python"""
        params = {"order_id": order_id}
        if amount is not None:
            params["amount"] = amount
        return self.result(self.gateway.transaction.refund, "transaction", transaction_id, params)

    def settle(self, transaction_id: str) -> Any:
        """Sandbox only: https://developer.paypal.com/braintree/docs/reference/general/testing/python#settlement-status"""
        return self.result(self.gateway.testing.settle_transaction, "transaction", transaction_id)

    # --- searches --------------------------------------------------------------------------------
    def search_ids(self, kind: str, *, since: dt.datetime | None, until: dt.datetime | None = None,
                   types: Iterable[str] = (), order_id: str | None = None) -> list[str]:
        """Ids of `kind` created in [since, until], cheap (no objects fetched).

        https://developer.paypal.com/braintree/docs/reference/general/searching/search-fields/python
        """
        attribute, fields = _SEARCHES[kind]
        created = fields.created_at.between(_utc(since or SEARCH_FLOOR), _utc(until)) \
            if until else fields.created_at >= _utc(since or SEARCH_FLOOR)
        query = [created]
        if types:
            query.append(fields.type.in_list(list(types)))
        if order_id is not None:
            query.append(fields.order_id == order_id)
        collection = self.call(getattr(self.gateway, attribute).search, query)
        return list(collection.ids)

    def fetch_by_ids(self, kind: str, ids: list[str]) -> list[Any]:
        """The objects for `ids` (order not guaranteed), via advanced search in SDK batches."""
        if not ids:
            return []
        attribute, fields = _SEARCHES[kind]
        collection = self.call(getattr(self.gateway, attribute).search, [fields.ids.in_list(ids)])
        return self.call(lambda: list(collection.items))

    # --- vault, plans, subscriptions, disputes ---------------------------------------------------
    def find_customer(self, customer_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/customer/find/python"""
        return self.call(self.gateway.customer.find, customer_id)

    def create_customer(self, *, email: str | None = None, first_name: str | None = None,
                        last_name: str | None = None, card_number: str | None = None) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/customer/create/python"""
        params: dict[str, Any] = {"email": email, "first_name": first_name,
                                  "last_name": last_name}
        if card_number:
            params["credit_card"] = {"number": card_number, "expiration_date": "12/2030"}
        return self.result(self.gateway.customer.create, "customer",
                           {k: v for k, v in params.items() if v is not None})

    def find_payment_method(self, token: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/payment-method/find/python"""
        return self.call(self.gateway.payment_method.find, token)

    def plans(self) -> list[Any]:
        """https://developer.paypal.com/braintree/docs/reference/request/plan/all/python"""
        return self.call(self.gateway.plan.all)

    def discounts(self) -> list[Any]:
        """https://developer.paypal.com/braintree/docs/reference/request/discount/all/python"""
        return self.call(self.gateway.discount.all)

    def find_subscription(self, subscription_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/subscription/find/python"""
        return self.call(self.gateway.subscription.find, subscription_id)

    def create_subscription(self, *, subscription_id: str, plan_id: str, payment_method_token: str,
                            trial_days: int | None, discount_ids: Iterable[str]) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/subscription/create/python"""
        params: dict[str, Any] = {"id": subscription_id, "plan_id": plan_id,
                                  "payment_method_token": payment_method_token}
        if trial_days:
            params.update(trial_period=True, trial_duration=int(trial_days),
                          trial_duration_unit="day")
        additions = [{"inherited_from_id": d} for d in discount_ids]
        if additions:
            params["discounts"] = {"add": additions}
        return self.result(self.gateway.subscription.create, "subscription", params)

    def cancel_subscription(self, subscription_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/subscription/cancel/python"""
        return self.result(self.gateway.subscription.cancel, "subscription", subscription_id)

    def add_discount(self, subscription_id: str, discount_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/subscription/update/python"""
        params = {"discounts": {"add": [{"inherited_from_id": discount_id}]}}
        return self.result(self.gateway.subscription.update, "subscription", subscription_id,
                           params)

    def find_dispute(self, dispute_id: str) -> Any:
        """https://developer.paypal.com/braintree/docs/reference/request/dispute/find/python"""
        return self.call(self.gateway.dispute.find, dispute_id)

    def disputes_received_since(self, day: dt.date) -> list[Any]:
        """https://developer.paypal.com/braintree/docs/reference/request/dispute/search/python"""
        query = [braintree.DisputeSearch.received_date >= day]
        collection = self.result(self.gateway.dispute.search, "disputes", query)
        return self.call(lambda: list(collection.items))

    # --- webhooks ---------------------------------------------------------------------------------
    def parse_notification(self, signature: str, payload: str, *, verify: bool = True) -> Any:
        """Verify bt_signature over bt_payload (unless told it was verified on receipt) and parse.

        https://developer.paypal.com/braintree/docs/guides/webhooks/parse/python
        """
        try:
            if verify:
                return self.gateway.webhook_notification.parse(signature, payload)
            attributes = XmlUtil.dict_from_xml(decodebytes(payload.encode("ascii")))
            return WebhookNotification(self.gateway, attributes["notification"])
        except InvalidSignatureError as exc:
            raise WebhookVerificationError(f"Braintree webhook rejected: {exc}") from exc
        except (ExpatError, ValueError, KeyError, TypeError, UnicodeError) as exc:
            raise WebhookVerificationError("Braintree webhook payload is unreadable") from exc

"""allowed_actions: capability of the gateway x state of the object x role (pure, no database)."""
from types import SimpleNamespace

import pytest

from backend.actions.permissions import allowed_actions
from backend.auth.principal import Principal


def principal(role: str) -> Principal:
    return Principal(account_id=1, role=role, kind="sidebar", user_id=7, display_name="Ann Agent")


def charge(status: str, captured: int = 2000, refunded: int = 0, capturable: int = 0):
    return SimpleNamespace(status=status, amount_minor=2000, amount_captured_minor=captured,
                           amount_refunded_minor=refunded, amount_capturable_minor=capturable)


def subscription(status: str = "active", **kw):
    return SimpleNamespace(status=status, cancel_at_period_end=False, discount_codes=[], **kw)


CUSTOMER = SimpleNamespace(deleted_at=None)


@pytest.mark.parametrize("row, expected", [
    (charge("succeeded"), ["refund"]),
    (charge("succeeded", refunded=2000), []),
    (charge("authorized", captured=0, capturable=2000), ["capture", "void"]),
    (charge("failed", captured=0), []),
])
def test_charge_actions_follow_the_charge_state(row, expected):
    assert allowed_actions(principal("agent"), "stripe", "charge", row) == expected


def test_subscription_and_customer_actions_on_stripe():
    assert allowed_actions(principal("agent"), "stripe", "subscription", subscription()) == [
        "cancel_subscription", "apply_coupon"]
    assert allowed_actions(principal("agent"), "stripe", "subscription", subscription("canceled")) == []
    assert allowed_actions(principal("admin"), "stripe", "customer", CUSTOMER) == [
        "create_subscription", "send_invoice", "apply_coupon", "add_tax_id"]


def test_gateway_capabilities_narrow_the_list():
    """Recurly cannot capture or void; Braintree has no tax IDs or invoices; unknown gateways offer nothing."""
    authorized = charge("authorized", captured=0, capturable=2000)
    assert allowed_actions(principal("agent"), "recurly", "charge", authorized) == []
    assert "add_tax_id" not in allowed_actions(principal("agent"), "braintree", "customer", CUSTOMER)
    assert "send_invoice" not in allowed_actions(principal("agent"), "braintree", "customer", CUSTOMER)
    assert allowed_actions(principal("agent"), "no-such-gateway", "customer", CUSTOMER) == []


def test_viewers_get_no_actions_and_unknown_targets_none():
    assert allowed_actions(principal("viewer"), "stripe", "charge", charge("succeeded")) == []
    assert allowed_actions(principal("owner"), "stripe", "refund", charge("succeeded")) == []

import pytest

from backend.db import transaction
from backend.models import GatewayConnection
from backend.integrations.gateways.stripe.demo import API_KEY, StripeSeeder


@pytest.fixture
def stripe_sandbox():
    from backend.integrations.gateways.stripe.sandbox import StripeSandbox

    sb = StripeSandbox()
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def seeder(stripe_sandbox):
    return StripeSeeder(stripe_sandbox.url)


@pytest.fixture
def stripe_connection(account, stripe_sandbox):
    with transaction() as s:
        conn = GatewayConnection(account_id=account.id, kind="stripe", name="Stripe",
                                 credentials={"api_key": API_KEY}, api_base=stripe_sandbox.url,
                                 webhook_secrets=["whsec_test_secret"])
        s.add(conn)
    return conn

"""`connect` prints the full webhook URL, warns about a missing webhook secret and a gateway account
connected twice; `account create` takes ISO 4217 currencies only."""
import pytest

from tests.conftest import run_cli

CONNECT = ["connect", "stripe", "acme", "--no-verify", "--api-key", "sk_test_same_account_1"]


@pytest.fixture
def cli_env(worker_env, account):
    return dict(worker_env, CHARGEDESK_BASE_URL="https://billing.example.com/")


def test_full_webhook_url_and_no_warning_with_a_secret(cli_env):
    result = run_cli([*CONNECT, "--webhook-secret", "whsec_x"], cli_env)
    assert result.returncode == 0, result.stderr
    conn_id = result.stdout.strip().splitlines()[-1]
    assert f"https://billing.example.com/webhooks/stripe/{conn_id}" in result.stdout
    assert result.stderr == ""


def test_warns_without_webhook_secret_and_for_the_same_account_twice(cli_env):
    first = run_cli(CONNECT, cli_env)
    assert first.returncode == 0 and "warning: no webhook secret given" in first.stderr
    assert "already connected" not in first.stderr
    second = run_cli([*CONNECT, "--webhook-secret", "whsec_x"], cli_env)
    assert second.returncode == 0
    first_id = first.stdout.strip().splitlines()[-1]
    assert f"warning: this stripe account is already connected (connection {first_id} " in second.stderr
    other = run_cli(["connect", "stripe", "acme", "--no-verify", "--api-key", "sk_test_other", "--webhook-secret",
                     "whsec_y"], cli_env)
    assert other.returncode == 0 and other.stderr == ""


@pytest.mark.parametrize("currency", ["XYZ", "ABC", "EU"])
def test_account_currency_must_be_iso_4217(cli_env, currency):
    result = run_cli(["account", "create", "Shop", "--currency", currency], cli_env)
    assert result.returncode == 1 and "invalid currency" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_iso_currency_is_accepted_in_lower_case(cli_env):
    assert run_cli(["account", "create", "Shop", "--currency", "chf"], cli_env).returncode == 0


def test_no_webhook_secret_warning_where_the_credentials_verify_webhooks(cli_env):
    """Braintree signs webhooks with the API keys (its connect option says so): nothing to warn about."""
    result = run_cli(["connect", "braintree", "acme", "--no-verify", "--merchant-id", "m", "--public-key", "p",
                      "--private-key", "k"], cli_env)
    assert result.returncode == 0 and result.stderr == "", result.stderr

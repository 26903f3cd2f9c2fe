"""Jobs on a real Redis, executed by a real `chargedesk worker` process."""
from redis import Redis
from rq import Queue

from backend import jobs
from backend.db import session
from backend.models import Account
from tests.conftest import REDIS_URL, wait_for
from tests.jobs_fixtures import flaky_rename, rename_account


def _name(account_id):
    session().expire_all()
    return session().get(Account, account_id).name


def test_same_record_is_queued_once(ctx, account):
    first = jobs.enqueue(rename_account, account.id)
    second = jobs.enqueue(rename_account, account.id)
    assert first == second == f"tests_jobs_fixtures_rename_account-{account.id}"
    assert Queue("chargedesk-test", connection=Redis.from_url(REDIS_URL)).count == 1


def test_worker_runs_job_in_app_context(ctx, account, rq_worker):
    jobs.enqueue(rename_account, account.id)
    rq_worker()
    wait_for(lambda: _name(account.id) == "Acme Inc!", message="the worker to run the job")


def test_failed_job_is_retried_with_backoff(ctx, account, rq_worker):
    jobs.enqueue(flaky_rename, account.id, retry=jobs.RetryPolicy(max_retries=2, intervals=(1,)))
    rq_worker()
    wait_for(lambda: _name(account.id) == "Acme Inc!", timeout=20, message="the retried job to succeed")
    session().expire_all()
    assert session().get(Account, account.id).settings["runs"] == 2


def test_finished_job_can_be_queued_again(ctx, account, rq_worker):
    jobs.enqueue(rename_account, account.id)
    rq_worker()
    wait_for(lambda: _name(account.id) == "Acme Inc!")
    jobs.enqueue(rename_account, account.id)
    wait_for(lambda: _name(account.id) == "Acme Inc!!", message="the second run")


def test_in_process_backend_runs_jobs_without_redis(app_settings, account):
    from backend import create_app

    embedded = create_app(dict(app_settings, REDIS_URL=""))
    with embedded.app_context():
        jobs.enqueue(rename_account, account.id)
        jobs.backend().drain()
        assert _name(account.id) == "Acme Inc!"

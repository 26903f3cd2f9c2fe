"""Job functions the job tests enqueue; importable by a worker process (PYTHONPATH=repo)."""
from sqlalchemy import select

from backend.db import transaction
from backend.jobs import job
from backend.models import Account


@job
def rename_account(account_id: int) -> None:
    """Appends '!' to the account name: visible proof the job ran, and how many times."""
    with transaction() as s:
        acct = s.scalars(select(Account).where(Account.id == account_id)).one()
        acct.name = acct.name + "!"


@job
def flaky_rename(account_id: int) -> None:
    """Fails on its first run (remembered in settings), then renames: exercises the retry policy."""
    with transaction() as s:
        acct = s.scalars(select(Account).where(Account.id == account_id)).one()
        runs = acct.settings.get("runs", 0) + 1
        acct.settings = dict(acct.settings, runs=runs)
    if runs == 1:
        raise RuntimeError("first run fails on purpose")
    rename_account.__wrapped_job__(account_id)

"""Engine and session per app; one session per app context (request, job, CLI command)."""
from __future__ import annotations

from contextlib import contextmanager

import orjson
from flask import Flask, current_app, has_app_context
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

_EXT = "chargedesk.db"


def make_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's error (and so the error log) never shows its bound
    # values: amounts, emails, names, tokens.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping (a round trip on every checkout): connections broken by a server restart are
    # detected on first use and the pool is invalidated; pool_recycle retires old ones.
    # JSON columns are parsed by orjson in the driver (several times faster than json.loads).
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800, json_deserializer=orjson.loads,
                         hide_parameters=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _scope() -> int:
    # One session per pushed app context; contexts are per request / job / command.
    from flask import globals as flask_globals

    ctx = flask_globals._cv_app.get(None)
    return id(ctx)


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions[_EXT] = {"engine": engine, "session": scoped_session(factory, scopefunc=_scope)}
    app.teardown_appcontext(_remove_session)


def _remove_session(_exc) -> None:
    current_app.extensions[_EXT]["session"].remove()


def engine() -> Engine:
    return engine_of(current_app)


def engine_of(app: Flask) -> Engine:
    """The app's engine, without an app context (for code that runs outside one)."""
    return app.extensions[_EXT]["engine"]


def session() -> Session:
    """The current app context's session."""
    if not has_app_context():
        raise RuntimeError("no app context: jobs and commands must run inside one")
    return current_app.extensions[_EXT]["session"]()


def use_autocommit() -> None:
    """This app context's session reads in autocommit from now on (call before its first query).

    Each statement is then its own transaction: no BEGIN before the first read and no ROLLBACK
    at teardown, two round trips fewer. Only for read-only requests whose reads need no common
    snapshot. A context that already began a transaction keeps it.
    """
    s = session()
    if not s.in_transaction():
        s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@contextmanager
def raw_autocommit(engine_: Engine | None = None):
    """A pooled driver connection in autocommit, with no ORM session around it.

    For the hottest read path (the sidebar context): no session to set up and tear down, no
    BEGIN/ROLLBACK. It goes back to the pool as it came (autocommit off); one left mid-transaction
    by an error is discarded instead.
    """
    fairy = (engine_ or engine()).raw_connection()
    driver = fairy.driver_connection
    driver.autocommit = True
    try:
        yield driver
    finally:
        try:
            driver.autocommit = False  # refused unless idle
        except Exception:  # noqa: BLE001 - any state we cannot vouch for
            fairy.invalidate()
        else:
            fairy.close()


@contextmanager
def transaction():
    """Commit on success, roll back on any error: never leave half-written data."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise


def upsert_insert(s: Session):
    """The dialect's INSERT (PostgreSQL or SQLite), which has ON CONFLICT support."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert

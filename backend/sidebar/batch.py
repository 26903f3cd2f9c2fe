"""Run a set of the sidebar's statements: one network round trip on PostgreSQL, else one by one.

A sidebar view needs a few small indexed reads. On PostgreSQL (psycopg 3) they go out together
in pipeline mode, compiled once per process; elsewhere (SQLite in the demo) SQLAlchemy runs them
in turn. Rows have attribute access either way.

Two readers: `SessionReader` reads inside a SQLAlchemy session (its transaction, its
connection); `PgReader` reads on a bare psycopg connection in autocommit, for the hot sidebar
path that skips the ORM session entirely (see backend.api.sidebar).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from . import queries

PIPELINED = ("postgresql", "psycopg")


class SessionReader:
    """Reads through the session's connection (pipelined on PostgreSQL unless told not to)."""

    def __init__(self, session: Session, *, pipeline: bool = True):
        connection = session.connection()
        self.dialect = connection.dialect
        self._connection = connection
        self._pipeline = pipeline and (self.dialect.name, self.dialect.driver) == PIPELINED

    def fetch(self, wanted: dict[str, dict[str, Any]]) -> dict[str, list]:
        """{statement name: rows} for {statement name: parameters}."""
        if self._pipeline:
            return _pipelined(self.raw, self.dialect, wanted)
        return {name: list(self._connection.execute(queries.statement(name, self.dialect.name), params))
                for name, params in wanted.items()}

    @property
    def raw(self):
        """The underlying driver connection (psycopg on PostgreSQL), in the session's transaction."""
        return self._connection.connection.driver_connection


class PgReader:
    """Reads on a bare psycopg connection (the caller owns it and its transaction mode)."""

    def __init__(self, raw_connection, dialect: Dialect):
        self.raw = raw_connection
        self.dialect = dialect

    def fetch(self, wanted: dict[str, dict[str, Any]]) -> dict[str, list]:
        return _pipelined(self.raw, self.dialect, wanted)


@lru_cache(maxsize=128)
def _compiled(statement: Select, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """SQL text and default parameters (LIMITs ...), compiled once per statement and dialect."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, dict(compiled.params)


@lru_cache(maxsize=128)
def _named_rows(name: str):
    """A psycopg row factory for statement `name`: its rows as named tuples, the class made once.

    (psycopg's own namedtuple_row re-reads the column names for every cursor: a statement's
    columns never change, so they are read on its first execution only.)"""
    from psycopg.rows import namedtuple_row

    made = []

    def factory(cursor):
        if made:
            return made[0]
        maker = namedtuple_row(cursor)
        if cursor.description is not None:  # a real result: its columns are the statement's
            made.append(maker)
        return maker

    return factory


def _pipelined(raw, dialect: Dialect, wanted: dict[str, dict]) -> dict[str, list]:
    if len(wanted) == 1:  # one statement: a plain execute costs less than a pipeline around it
        [(name, params)] = wanted.items()
        sql, defaults = _compiled(queries.statement(name, dialect.name), dialect)
        return {name: raw.cursor(row_factory=_named_rows(name)).execute(sql, {**defaults, **params}).fetchall()}
    cursors = {}
    with raw.pipeline():
        for name, params in wanted.items():
            sql, defaults = _compiled(queries.statement(name, dialect.name), dialect)
            cursor = raw.cursor(row_factory=_named_rows(name))
            cursor.execute(sql, {**defaults, **params})
            cursors[name] = cursor
    return {name: cursor.fetchall() for name, cursor in cursors.items()}

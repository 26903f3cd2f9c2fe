"""Run a set of the sidebar's statements: one network round trip on PostgreSQL, else one by one.

A sidebar view needs about ten small indexed reads. On PostgreSQL (psycopg 3) they go out
together in pipeline mode, inside the request's own transaction, compiled once per process;
elsewhere (SQLite in the demo) SQLAlchemy runs them in turn. Rows have attribute access either way.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from . import queries

PIPELINED = ("postgresql", "psycopg")


def fetch(session: Session, wanted: dict[str, dict[str, Any]], *, pipeline: bool = True) -> dict[str, list]:
    """{statement name: rows} for {statement name: parameters}."""
    connection = session.connection()
    dialect = connection.dialect
    statements = {name: queries.statement(name, dialect.name) for name in wanted}
    if pipeline and (dialect.name, dialect.driver) == PIPELINED:
        return _pipelined(connection, dialect, statements, wanted)
    return {name: list(connection.execute(statements[name], params)) for name, params in wanted.items()}


@lru_cache(maxsize=128)
def _compiled(statement: Select, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """SQL text and default parameters (LIMITs ...), compiled once per statement and dialect."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, dict(compiled.params)


def _pipelined(connection, dialect: Dialect, statements: dict[str, Select], wanted: dict) -> dict[str, list]:
    from psycopg.rows import namedtuple_row

    raw = connection.connection.driver_connection  # the session's psycopg connection, in its transaction
    cursors = {}
    with raw.pipeline():
        for name, params in wanted.items():
            sql, defaults = _compiled(statements[name], dialect)
            cursor = raw.cursor(row_factory=namedtuple_row)
            cursor.execute(sql, {**defaults, **params})
            cursors[name] = cursor
    return {name: cursor.fetchall() for name, cursor in cursors.items()}

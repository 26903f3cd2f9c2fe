"""PostgreSQL fast path for the backfill: a whole page upserted by one INSERT .. SELECT unnest().

One short, cacheable statement with one array per column instead of 100 executions: the page
costs one round trip and almost no per-row Python work. Used only when ids are not needed.
"""
from __future__ import annotations

from functools import lru_cache

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session


@lru_cache(maxsize=64)
def _statement(table: Table, columns: tuple[str, ...], updates: tuple[str, ...], keep_run_link: bool) -> str:
    dialect = _pg_dialect()
    casts = [f"%({c})s::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns]
    sets = [f'"{c}" = EXCLUDED."{c}"' for c in updates]
    if keep_run_link:
        sets.append(f'action_run_id = COALESCE({table.name}.action_run_id, EXCLUDED.action_run_id)')
    quoted = ", ".join(f'"{c}"' for c in columns)
    return (f"INSERT INTO {table.name} ({quoted}) SELECT * FROM unnest({', '.join(casts)}) "
            f"ON CONFLICT (connection_id, external_id) DO UPDATE SET {', '.join(sets)}")


def _pg_dialect():
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()


def _is_json(column) -> bool:
    return isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", None), JSON)


def upsert_page(session: Session, table: Table, values: list[dict], never_overwrite: set[str]) -> None:
    columns = tuple(sorted(values[0]))
    updates = tuple(c for c in columns if c not in never_overwrite)
    sql = _statement(table, columns, updates, "action_run_id" in columns)
    params = {}
    for c in columns:
        column_values = [row[c] for row in values]
        params[c] = [Jsonb(v) for v in column_values] if _is_json(table.c[c]) else column_values
    session.connection().exec_driver_sql(sql, params)

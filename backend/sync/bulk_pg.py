"""PostgreSQL fast path for the backfill: a whole page upserted by one INSERT .. SELECT json_to_recordset().

The page travels as one JSON parameter (json.dumps runs in C; per-element array dumping in the
driver cost more than the rest of the write), values shared by every row of the page (account,
connection, sync time) travel once, and references to customers or charges are resolved by a
LEFT JOIN in the same statement instead of a lookup query first. So a page of one kind is one
statement and one round trip. Used only when the caller needs no ids back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Mapping

from sqlalchemy import Table
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Link:
    """Fill `column` with the id of the `target` row whose external_id is this row's `external_column`."""

    column: str
    target: Table
    external_column: str


def upsert_page(session: Session, table: Table, values: list[dict], *, shared: Mapping[str, Any],
                links: tuple[Link, ...], never_overwrite: set[str]) -> None:
    """INSERT .. ON CONFLICT (connection_id, external_id) DO UPDATE for `values` (one dict per row).

    `shared` columns take one value for the whole page (`connection_id` must be among them; links
    are looked up within that connection); `links` columns are resolved in SQL, whatever the rows
    hold for them. Every other column of values[0] comes from the rows. Consumes `values`.
    """
    dropped = [*shared, *(link.column for link in links)]
    for row in values:  # (the caller's dicts, no longer needed: cheaper than copies)
        for column in dropped:
            row.pop(column, None)
    columns = tuple(values[0])
    sql = _statement(table, columns, tuple(shared), links, frozenset(never_overwrite))
    params = {f"shared_{c}": v for c, v in shared.items()}
    params["rows"] = json.dumps(values, default=_json_value, separators=(",", ":"))
    session.connection().exec_driver_sql(sql, params)


def _json_value(value: Any) -> Any:
    """What json.dumps cannot encode itself; PostgreSQL casts the text back to the column type."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} in a bulk upsert")


@lru_cache(maxsize=64)
def _statement(table: Table, columns: tuple[str, ...], shared: tuple[str, ...], links: tuple[Link, ...],
               never_overwrite: frozenset[str]) -> str:
    if "connection_id" not in shared:
        raise ValueError("a bulk upsert page belongs to one connection: share connection_id")
    dialect = _pg_dialect()

    def sql_type(column: str) -> str:
        return table.c[column].type.compile(dialect=dialect)

    targets = [*shared, *(link.column for link in links), *columns]
    sources = [f'%(shared_{c})s::{sql_type(c)}' for c in shared]
    sources += [f"l{i}.id" for i in range(len(links))]
    sources += [f'r."{c}"' for c in columns]
    record = ", ".join(f'"{c}" {sql_type(c)}' for c in columns)
    connection = f"%(shared_connection_id)s::{sql_type('connection_id')}"
    joins = "".join(
        f' LEFT JOIN {link.target.name} AS l{i} ON l{i}.connection_id = {connection}'
        f' AND l{i}.external_id = r."{link.external_column}"'
        for i, link in enumerate(links))
    sets = [f'"{c}" = EXCLUDED."{c}"' for c in targets if c not in never_overwrite]
    if "action_run_id" in targets:  # keep the link to our action once known
        sets.append(f"action_run_id = COALESCE({table.name}.action_run_id, EXCLUDED.action_run_id)")
    quoted = ", ".join(f'"{c}"' for c in targets)
    return (f"INSERT INTO {table.name} ({quoted}) SELECT {', '.join(sources)} "
            f"FROM json_to_recordset(%(rows)s::json) AS r({record}){joins} "
            f"ON CONFLICT (connection_id, external_id) DO UPDATE SET {', '.join(sets)}")


def _pg_dialect():
    from sqlalchemy.dialects import postgresql

    return postgresql.dialect()

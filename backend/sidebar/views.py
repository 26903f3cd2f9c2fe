"""Pre-built customer billing for the sidebar: read it when current, else build it live and keep it.

Building a customer's billing takes ten reads and most of a request's CPU; reading a body that
is already built takes one join. PostgreSQL triggers (migration 0003) clear a customer's body and
bump its version in the same transaction as any write to that customer's mirrored billing, so:

* a body that is present is exactly what a live build would produce now;
* a reader stores a body only under the version it read *before* reading the data it built from,
  and only while that version is current (`STORE`), so a write that lands meanwhile wins.

The body holds the customer's billing as an acting agent sees it and its recent action runs
(action_runs has the same triggers, so a run that starts or ends rebuilds it). What depends on
the viewer is applied on every read (`personalize`): the allowed actions, taken away for a
principal who may not act, and the gateway's current name. SQLite (the demo) has no triggers:
billing is always read live there.
"""
from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Row

from ..auth.principal import Principal
from .detail import customer_detail, gateway_view
from .queries import views_enabled as enabled  # noqa: F401  (re-exported: where bodies are used)

# Bodies are built as an acting agent sees them; `personalize` takes the actions away for others.
BUILDER_ROLE = "agent"
# Bump when the body's shape changes: bodies of another format are rebuilt on their next view.
FORMAT = 1

STORE = """
INSERT INTO customer_views (customer_id, account_id, version, body, built_at)
VALUES (%(customer_id)s, %(account_id)s, %(version)s, %(body)s, now())
ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, built_at = excluded.built_at
WHERE customer_views.version = excluded.version
"""


def current_body(row: Row) -> dict[str, Any] | None:
    """The customer's pre-built billing, if the row carries a current one."""
    text = getattr(row, "view_body", None)
    if text is None:
        return None
    body = orjson.loads(text)
    return body if body.get("format") == FORMAT else None


def build(account_id: int, row: Row, detail_rows: dict[str, list]) -> dict[str, Any]:
    """The body for one customer: its billing as an acting agent of the account sees it, and its runs."""
    builder = Principal(account_id=account_id, role=BUILDER_ROLE, kind="view")
    view, runs = customer_detail(builder, row, detail_rows)
    return {"format": FORMAT, "customer": view, "runs": runs}


def store(raw_connection, account_id: int, row: Row, body: dict[str, Any]) -> None:
    """Keep the body unless a write changed the customer since `row` was read."""
    version = getattr(row, "view_version", None) or 0
    raw_connection.execute(STORE, {"customer_id": row.id, "account_id": account_id, "version": version,
                                   "body": orjson.dumps(body).decode()})


def personalize(body: dict[str, Any], principal: Principal, row: Row) -> tuple[dict[str, Any], list[dict]]:
    """(customer view, recent runs) as this principal sees them now (see the module docstring)."""
    customer = body["customer"]
    customer["gateway"] = gateway_view(row)
    if not principal.can_act:
        _strip_actions(customer)
    return customer, body["runs"]


def _strip_actions(body: dict[str, Any]) -> None:
    body["actions"] = []
    for item in (*body["charges"], *body["subscriptions"], *body["invoices"]["open"], *body["invoices"]["past"]):
        item["actions"] = []

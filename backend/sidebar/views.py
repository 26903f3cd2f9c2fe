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
principal who may not act, the gateway's current name and why the customer matched. SQLite
(the demo) has no triggers: billing is always read live there.

A stored body is three lines: the format, the runs (a JSON array) and the customer's billing (a
JSON object without the viewer-dependent fields). JSON as orjson writes it never holds a raw
newline, so the parts split without parsing, and an acting agent's answer embeds them as they
are (orjson.Fragment): a repeat view parses no JSON at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Row

from ..auth.principal import Principal
from .detail import customer_detail, gateway_view
from .queries import views_enabled as enabled  # noqa: F401  (re-exported: where bodies are used)

# Bodies are built as an acting agent sees them; `personalize` takes the actions away for others.
BUILDER_ROLE = "agent"
# Bump when the body's shape changes: bodies of another format are rebuilt on their next view.
FORMAT = 2
HEADER = f"{FORMAT}\n"
# Set on every read, so never stored: personalize() puts them first in the customer's object.
VIEWER_FIELDS = ("gateway", "matched_emails", "linked")

STORE = """
INSERT INTO customer_views (customer_id, account_id, version, body, built_at)
VALUES (%(customer_id)s, %(account_id)s, %(version)s, %(body)s, now())
ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, built_at = excluded.built_at
WHERE customer_views.version = excluded.version
"""


@dataclass(frozen=True)
class Body:
    """One customer's pre-built billing, as JSON texts."""
    runs: str  # array
    customer: str  # object, without VIEWER_FIELDS


def current_body(row: Row) -> Body | None:
    """The customer's pre-built billing, if the row carries a current one."""
    text = getattr(row, "view_body", None)
    if not text or not text.startswith(HEADER):
        return None
    _, runs, customer = text.split("\n", 2)
    return Body(runs=runs, customer=customer)


def build(account_id: int, row: Row, detail_rows: dict[str, list]) -> Body:
    """The body for one customer: its billing as an acting agent of the account sees it, and its runs."""
    builder = Principal(account_id=account_id, role=BUILDER_ROLE, kind="view")
    view, runs = customer_detail(builder, row, detail_rows)
    for name in VIEWER_FIELDS:
        view.pop(name, None)
    return Body(runs=orjson.dumps(runs).decode(), customer=orjson.dumps(view).decode())


def store(raw_connection, account_id: int, row: Row, body: Body) -> None:
    """Keep the body unless a write changed the customer since `row` was read."""
    version = getattr(row, "view_version", None) or 0
    raw_connection.execute(STORE, {"customer_id": row.id, "account_id": account_id, "version": version,
                                   "body": f"{HEADER}{body.runs}\n{body.customer}"})


def personalize(body: Body, principal: Principal, row: Row, viewer_fields: dict[str, Any], *,
                as_json: bool = False) -> tuple[Any, Any]:
    """(customer view, recent runs) as this principal sees them now (see the module docstring).

    `viewer_fields` are the match's (matched_emails, linked). With `as_json`, an acting agent's
    parts come back as orjson.Fragment, to be encoded by orjson as they are; otherwise as dicts."""
    fields = {"gateway": gateway_view(row), **viewer_fields}
    if as_json and principal.can_act:
        return orjson.Fragment(_join_objects(orjson.dumps(fields), body.customer.encode())), orjson.Fragment(body.runs)
    customer = orjson.loads(body.customer)
    if not principal.can_act:
        _strip_actions(customer)
    return fields | customer, orjson.loads(body.runs)


def _join_objects(head: bytes, tail: bytes) -> bytes:
    """Two encoded JSON objects with distinct keys as one: {head..., tail...}."""
    if tail == b"{}":
        return head
    if head == b"{}":
        return tail
    return head[:-1] + b"," + tail[1:]


def _strip_actions(body: dict[str, Any]) -> None:
    body["actions"] = []
    for item in (*body["charges"], *body["subscriptions"], *body["invoices"]["open"], *body["invoices"]["past"]):
        item["actions"] = []

"""Helpers around an ActionRun: its audit entries, its API view, its result as JSON."""
from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Iterable

from sqlalchemy.orm import Session

from .. import audit
from ..integrations.gateways.records import BillingRecord
from ..models import ActionRun
from ..sync.upsert import MODEL_OF

SYSTEM_ACTOR = {"kind": "system", "name": "ChargeDesk worker"}
_PUBLIC_SOURCE = ("host", "ticket_id", "installation_id", "ip")


def audit_run(session: Session, run: ActionRun, step: str, *, actor: dict | None = None,
              **details: Any) -> None:
    """One entry of the trail for a step of this run ("requested", "succeeded" ...)."""
    audit.append(
        session, account_id=run.account_id, event=f"action.{step}", actor=actor or run.principal,
        reason=_reason_text(run), subject_type="action_run", subject_id=run.id, customer_id=run.customer_id,
        details={"kind": run.kind, "status": run.status, "target_type": run.target_type,
                 "target_id": run.target_id, "target_external_id": run.target_external_id,
                 "params": run.params, "attempt": run.attempts, **details},
        source=public_source(run.source),
    )


def _reason_text(run: ActionRun) -> str | None:
    if run.reason_code and run.reason_text:
        return f"{run.reason_code}: {run.reason_text}"
    return run.reason_code or run.reason_text


def public_source(source: dict | None) -> dict:
    """Where the request came from, without internal bookkeeping (the request fingerprint)."""
    return {k: v for k, v in (source or {}).items() if k in _PUBLIC_SOURCE and v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def records_json(records: Iterable[BillingRecord], ids: dict[str, dict[str, int]]) -> list[dict]:
    """What the gateway returned, with our mirror ids, for the run's result."""
    out = []
    for record in records:
        table = MODEL_OF[type(record)].__tablename__
        fields = {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)
                  if f.name not in ("lines", "tax_lines", "metadata")}
        out.append({"type": table.rstrip("s"), "id": ids.get(table, {}).get(record.external_id), **fields})
    return out


def run_view(run: ActionRun) -> dict[str, Any]:
    """The run as the API and the sidebar see it."""
    error = {"code": run.error_code, "message": run.error_message} if run.error_message else None
    decision = ({"by_user_id": run.decided_by_user_id, "note": run.decision_note}
                if run.decided_by_user_id or run.decision_note else None)
    return {
        "id": run.id, "kind": run.kind, "status": run.status, "connection_id": run.connection_id,
        "target": {"type": run.target_type, "id": run.target_id, "external_id": run.target_external_id},
        "customer_id": run.customer_id, "params": run.params, "reason": run.reason_code,
        "note": run.reason_text, "idempotency_key": run.client_key, "requested_by": run.principal,
        "source": public_source(run.source), "result": run.result, "error": error, "decision": decision,
        "attempts": run.attempts, "created_at": _plain(run.created_at), "updated_at": _plain(run.updated_at),
        "finished_at": _plain(run.finished_at),
    }

"""Submitting an action: replay a known idempotency key, validate, then record and queue the run.

Everything before the queue happens in one transaction (the run and its first audit entries),
so a refused or failed request leaves nothing behind. The run id (a UUID) is also the gateway
idempotency key and the RQ job id.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..models import Account, ActionRun, GatewayConnection, HelpdeskInstallation, User
from ..tenancy import TenantScope
from . import action_module, allowance, limits
from .base import ActionContext, ActionRejected
from .permissions import check_can_act, gateway_capabilities
from .runs import audit_run
from .targets import customer_id_of, load_target, resolve_target_type

log = logging.getLogger(__name__)
DEFAULT_REASON_CODES = ("duplicate", "fraudulent", "requested_by_customer", "other")
TRANSIENT_SQLSTATES = ("40001", "40P01")  # serialization_failure, deadlock_detected
INTAKE_ATTEMPTS = 4
RETRY_PAUSE_SECONDS = 0.05  # jittered: up to 50 ms, 100 ms, 150 ms between attempts


@dataclass(frozen=True)
class ActionRequest:
    kind: str
    target: int
    idempotency_key: str
    params: dict[str, Any] = field(default_factory=dict)
    target_type: str | None = None
    reason: str | None = None
    note: str | None = None
    source: dict[str, Any] = field(default_factory=dict)  # host, ticket_id from the client
    ip: str | None = None

    def fingerprint(self) -> str:
        """Same key + same body = a replay; same key + another body = a client bug."""
        body = {"kind": self.kind, "target": self.target, "target_type": self.target_type,
                "params": self.params, "reason": self.reason, "note": self.note}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def submit_action(session: Session, principal: Principal, request: ActionRequest) -> tuple[ActionRun, bool]:
    """(run, created). Raises ActionRejected (4xx) before anything is written.

    A transaction the database aborted to break a deadlock or a serialization conflict left
    nothing behind, so it is run again (a few times, after a short random pause); if it still
    cannot get through, a 503 asks the caller to try again rather than failing with a 500."""
    check_can_act(principal)
    for attempt in range(1, INTAKE_ATTEMPTS + 1):
        try:
            return _submit_once(session, principal, request)
        except OperationalError as exc:
            session.rollback()
            if not is_transient(exc):
                raise
            log.warning("action intake aborted by the database (%s), attempt %d of %d",
                        _sqlstate(exc), attempt, INTAKE_ATTEMPTS)
            if attempt < INTAKE_ATTEMPTS:
                time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * attempt))
    raise ActionRejected(503, "Too many actions are being submitted in this account right now; nothing was "
                              "recorded. Send the same request again in a moment.")


def is_transient(exc: OperationalError) -> bool:
    """A serialization failure or a deadlock: the database rolled back; running again is safe."""
    return _sqlstate(exc) in TRANSIENT_SQLSTATES


def _sqlstate(exc: OperationalError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _submit_once(session: Session, principal: Principal, request: ActionRequest) -> tuple[ActionRun, bool]:
    """One attempt: replay a known key, or validate and record a new run, then queue it."""
    existing = _replay(session, principal.account_id, request)
    if existing is not None:
        return existing, False
    try:
        run = _new_run(session, principal, request)
        session.commit()
    except IntegrityError:  # a concurrent double click won the race for this key
        session.rollback()
        existing = _replay(session, principal.account_id, request)
        if existing is None:
            raise
        return existing, False
    if run.status == "queued":
        enqueue_run(run.id)
    return run, True


_BY_CLIENT_KEY = select(ActionRun).where(ActionRun.account_id == bindparam("scope_account_id"),
                                         ActionRun.client_key == bindparam("key"))  # built once


def _replay(session: Session, account_id: int, request: ActionRequest) -> ActionRun | None:
    run = session.scalars(_BY_CLIENT_KEY, {"scope_account_id": account_id,
                                           "key": request.idempotency_key}).one_or_none()
    if run is not None and (run.source or {}).get("fingerprint") != request.fingerprint():
        raise ActionRejected(422, "This idempotency_key was already used for a different action; "
                                  "send a new key for a new action.", {"idempotency_key": ["Reused."]})
    return run


def _new_run(session: Session, principal: Principal, request: ActionRequest) -> ActionRun:
    """Validate against the mirror, then add the run and its first audit entries (not committed)."""
    module = action_module(request.kind)
    scope = TenantScope(session, principal.account_id)
    target_type = resolve_target_type(module, request.target_type)
    row, connection, account, user = load_target(session, principal.account_id, target_type, request.target,
                                                 user_id=principal.user_id)
    _check_active(connection)
    ctx = ActionContext(principal=principal, connection_kind=connection.kind,
                        capabilities=gateway_capabilities(connection.kind),
                        account_currency=account.default_currency, scope=scope)
    params = module.validate(target_type, row, request.params, ctx)
    run = _run_row(session, principal, request, module, target_type, row, params, account)
    pending = _approval_reason(session, principal, user, account, module, params, row)
    if pending:
        run.status, run.result = "pending_approval", {"pending_reason": pending}
    session.add(run)
    session.flush()
    audit_run(session, run, "requested", before=module.snapshot(target_type, row))
    if pending:
        audit_run(session, run, "pending_approval", why=pending)
    return run


def _check_active(connection: GatewayConnection) -> None:
    if connection.status != "active":
        raise ActionRejected(409, f"The {connection.name or connection.kind} connection is {connection.status}; "
                                  "reconnect it first.")


def _run_row(session, principal, request, module, target_type, row, params, account) -> ActionRun:
    reason_code, reason_text = check_reason(module, request, account)
    return ActionRun(
        id=str(uuid.uuid4()), account_id=account.id, client_key=request.idempotency_key, kind=module.KIND,
        status="queued", connection_id=row.connection_id, target_type=target_type, target_id=row.id,
        target_external_id=row.external_id, customer_id=customer_id_of(target_type, row), params=params,
        reason_code=reason_code, reason_text=reason_text, requested_by_user_id=principal.user_id,
        principal=principal.audit_actor(), source=_source(session, principal, request), attempts=0)


def reason_codes(account: Account) -> tuple[str, ...]:
    """The account's reason codes (settings["reason_codes"]); `other` is always offered."""
    configured = (account.settings or {}).get("reason_codes") or DEFAULT_REASON_CODES
    return tuple(dict.fromkeys([*map(str, configured), "other"]))


def check_reason(module, request: ActionRequest, account: Account) -> tuple[str | None, str | None]:
    """A known reason code (required for refunds and cancellations); `other` needs a note."""
    codes, code = reason_codes(account), (request.reason or "").strip() or None
    note = (request.note or "").strip() or None
    if code is None and module.REASON_REQUIRED:
        raise ActionRejected(422, f"A reason is required for a {module.KIND}: one of {', '.join(codes)}.",
                             {"reason": ["Required."]})
    if code is not None and code not in codes:
        raise ActionRejected(422, f"Unknown reason {code!r}; use one of {', '.join(codes)}.",
                             {"reason": ["Not one of the account's reason codes."]})
    if code == "other" and not note:
        raise ActionRejected(422, "Reason 'other' needs a note saying why.", {"note": ["Required for 'other'."]})
    return code, note


def _approval_reason(session: Session, principal: Principal, user: User | None, account: Account, module,
                     params: dict, charge) -> str | None:
    """Why the run must wait for approval (above what is left of the user's limit), or None."""
    if not module.LIMITED_BY_REFUND_LIMIT:
        return None
    personal = user.refund_limit_minor if user is not None else principal.refund_limit_minor
    limit = limits.effective_limit(role=principal.role, personal_limit=personal,
                                   account_settings=account.settings)
    if limit is None:
        return None
    used = allowance.lock_and_read_used(session, account_id=account.id, user_id=principal.user_id,
                                        charge_id=charge.id, customer_id=charge.customer_id,
                                        currency=params["currency"])
    return limits.approval_reason(limit=limit, amount=params["amount"], currency=params["currency"],
                                  account_currency=account.default_currency, used=used)


def _source(session: Session, principal: Principal, request: ActionRequest) -> dict:
    """Host and ticket from the client; the installation from the sidebar token (never the body)."""
    host = principal.helpdesk.get("kind") or (request.source or {}).get("host")
    installation_id = principal.helpdesk.get("installation_id")
    if installation_id is None and host:
        installation_id = _only_installation(session, principal.account_id, host)
    ticket = (request.source or {}).get("ticket_id")
    return {"host": host, "ticket_id": None if ticket is None else str(ticket),
            "installation_id": installation_id, "ip": request.ip, "fingerprint": request.fingerprint()}


def _only_installation(session: Session, account_id: int, host: str) -> int | None:
    """For API callers: the account's one active installation of that helpdesk, if exactly one."""
    ids = list(session.scalars(select(HelpdeskInstallation.id).where(
        HelpdeskInstallation.account_id == account_id, HelpdeskInstallation.kind == host,
        HelpdeskInstallation.status == "active").limit(2)))
    return ids[0] if len(ids) == 1 else None


def enqueue_run(run_id: str) -> None:
    """Queue the run (job id = run id). If the queue is down the run stays queued for the reaper."""
    from .. import jobs
    from .pipeline import ACTION_RETRY, execute_run

    try:
        jobs.enqueue(execute_run, run_id, job_id=run_id, retry=ACTION_RETRY)
    except Exception:  # noqa: BLE001 - the run is committed; the reaper re-queues lost runs
        log.exception("could not queue action run %s; the reaper will pick it up", run_id)

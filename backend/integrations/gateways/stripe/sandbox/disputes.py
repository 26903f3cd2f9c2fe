"""Disputes: opened by the sandbox control (as a cardholder's bank would), then list/retrieve/update/close."""
from __future__ import annotations

from .errors import invalid, unexpected_state
from .forms import get_bool, get_dict, get_str, merge_metadata
from .lists import list_response
from .routing import LIST_PARAMS, route
from .state import Call

_EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
    "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
    "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation",
    "duplicate_charge_explanation", "duplicate_charge_id", "product_description", "receipt", "refund_policy",
    "refund_policy_disclosure", "refund_refusal_explanation", "service_date", "service_documentation",
    "shipping_address", "shipping_carrier", "shipping_date", "shipping_documentation",
    "shipping_tracking_number", "uncategorized_file", "uncategorized_text")
EMPTY_EVIDENCE = {**{name: None for name in _EVIDENCE_FIELDS}, "enhanced_evidence": {}}
REASONS = ("bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated", "debit_not_authorized",
           "duplicate", "fraudulent", "general", "incorrect_account_details", "insufficient_funds", "noncompliant",
           "product_not_received", "product_unacceptable", "subscription_canceled", "unrecognized")


def open_dispute(call: Call, charge_id: str, *, reason: str = "fraudulent", amount: int | None = None,
                 inquiry: bool = False) -> dict:
    """Open a dispute (chargeback, or an inquiry) against a paid charge."""
    charge = call.get("charge", charge_id, param="charge")
    if reason not in REASONS:
        raise invalid(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    if not charge["paid"] or not charge["captured"]:
        raise invalid(f"Charge {charge_id} was not captured, so it cannot be disputed.", param="charge")
    disputed = charge["amount"] - charge["amount_refunded"] if amount is None else amount
    dispute = call.insert({
        "id": call.new_id("dp_"), "object": "dispute", "amount": disputed, "charge": charge_id,
        "created": call.now(), "currency": charge["currency"], "evidence": EMPTY_EVIDENCE,
        "evidence_details": {"due_by": call.now() + 7 * 86400, "has_evidence": False, "past_due": False,
                             "submission_count": 0, "enhanced_eligibility": {}},
        "is_charge_refundable": inquiry, "metadata": {}, "payment_intent": charge.get("payment_intent"),
        "payment_method_details": {"card": {"brand": charge["payment_method_details"]["card"]["brand"],
                                            "case_type": "inquiry" if inquiry else "chargeback",
                                            "network_reason_code": "10.4" if reason == "fraudulent" else "13.1"},
                                   "type": "card"},
        "reason": reason, "status": "warning_needs_response" if inquiry else "needs_response",
    })
    call.update(charge, {"disputed": True})
    call.emit("charge.dispute.created", dispute)
    return dispute


@route("GET", "/v1/disputes/<dispute_id>")
def retrieve_dispute(call: Call, dispute_id: str) -> dict:
    return call.get("dispute", dispute_id, param="dispute")


@route("POST", "/v1/disputes/<dispute_id>", ("evidence", "metadata", "submit"))
def update_dispute(call: Call, dispute_id: str) -> dict:
    dispute = call.get("dispute", dispute_id, param="dispute")
    if dispute["status"] in ("won", "lost", "warning_closed"):
        raise unexpected_state("This dispute is already closed.", None)
    changes = {"metadata": merge_metadata(dispute.get("metadata"), call.params)}
    evidence = get_dict(call.params, "evidence")
    if evidence:
        unknown = set(evidence) - set(EMPTY_EVIDENCE)
        if unknown:
            raise invalid(f"Received unknown parameter: evidence[{sorted(unknown)[0]}]", code="parameter_unknown")
        changes["evidence"] = {**dispute["evidence"], **evidence}
        changes["evidence_details"] = {**dispute["evidence_details"], "has_evidence": True}
    if get_bool(call.params, "submit", default=True) and evidence:
        changes["status"] = "under_review" if dispute["status"] == "needs_response" else "warning_under_review"
        changes["evidence_details"] = {**changes["evidence_details"],
                                       "submission_count": dispute["evidence_details"]["submission_count"] + 1}
    call.emit("charge.dispute.updated", dispute, call.update(dispute, changes))
    return dispute


@route("POST", "/v1/disputes/<dispute_id>/close")
def close_dispute(call: Call, dispute_id: str) -> dict:
    dispute = call.get("dispute", dispute_id, param="dispute")
    if dispute["status"] in ("won", "lost", "warning_closed"):
        raise unexpected_state("This dispute is already closed.", None)
    status = "warning_closed" if dispute["status"].startswith("warning") else "lost"
    call.emit("charge.dispute.closed", dispute, call.update(dispute, {"status": status}))
    return dispute


@route("GET", "/v1/disputes", LIST_PARAMS + ("charge", "payment_intent"))
def list_disputes(call: Call) -> dict:
    intent = get_str(call.params, "payment_intent")
    return list_response(call, "dispute", "/v1/disputes", where={"charge": get_str(call.params, "charge")},
                         predicate=(lambda d: d.get("payment_intent") == intent) if intent else None)

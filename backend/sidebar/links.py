"""Manual links from a requester email to a billing customer, remembered per account.

When several customers share an address, or the requester writes from an address the gateway
does not know, the agent picks the customer once; the next ticket from that address opens on it.
The latest pick for an address replaces earlier ones, so an address never becomes ambiguous.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import audit
from ..auth.principal import Principal
from ..emails import normalize_email
from ..models import Customer, CustomerLink
from ..tenancy import TenantScope


class LinkError(ValueError):
    """A link that cannot be made, with the HTTP status that says why."""

    def __init__(self, status: int, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors or {}


def remember_link(session: Session, principal: Principal, *, email: str, customer_id: int,
                  source: dict | None = None) -> tuple[dict[str, Any], bool]:
    """Link `email` to the customer; returns (link view, created). Caller commits."""
    if not principal.can_act:
        raise LinkError(403, f"Your role ({principal.role}) cannot link customers; ask an agent or admin.")
    normalized = normalize_email(email)
    if normalized is None:
        raise LinkError(422, f"{email!r} is not an email address", {"email": ["Not a valid email address."]})
    customer = TenantScope(session, principal.account_id).get(Customer, customer_id)
    if customer is None:
        raise LinkError(404, f"No customer {customer_id} in this account.", {"customer_id": ["Unknown customer."]})
    current = _links_for(session, principal.account_id, normalized)
    if [link.customer_id for link in current] == [customer.id]:
        return link_view(current[0]), False
    link = _replace_links(session, principal, normalized, customer.id)
    _audit(session, principal, link, replaced=[c.customer_id for c in current], source=source or {})
    return link_view(link), True


def _links_for(session: Session, account_id: int, email: str) -> list[CustomerLink]:
    stmt = select(CustomerLink).where(CustomerLink.account_id == account_id, CustomerLink.email == email)
    return list(session.scalars(stmt))


def _replace_links(session: Session, principal: Principal, email: str, customer_id: int) -> CustomerLink:
    session.execute(delete(CustomerLink).where(
        CustomerLink.account_id == principal.account_id, CustomerLink.email == email))
    link = CustomerLink(account_id=principal.account_id, email=email, customer_id=customer_id,
                        created_by_user_id=principal.user_id)
    session.add(link)
    session.flush()
    return link


def link_view(link: CustomerLink) -> dict[str, Any]:
    return {"id": link.id, "email": link.email, "customer_id": link.customer_id,
            "created_by_user_id": link.created_by_user_id,
            "created_at": link.created_at.isoformat() if link.created_at else None}


def _audit(session: Session, principal: Principal, link: CustomerLink, *, replaced: list[int],
           source: dict) -> None:
    """An audit entry in the same transaction: who linked which address to which customer."""
    audit.append(session, account_id=principal.account_id, event="customer_link.created",
                 actor=principal.audit_actor(), subject_type="customer", subject_id=str(link.customer_id),
                 customer_id=link.customer_id, details={"email": link.email, "replaced_customer_ids": replaced},
                 source={k: v for k, v in source.items() if v is not None})

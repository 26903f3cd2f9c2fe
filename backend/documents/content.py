"""What a document shows, built once when it is issued and frozen on the row (a legal record).

Everything here is plain data (integers in minor units, strings), so rendering is a pure function
of the stored content and a re-render shows exactly what was issued.
"""
from __future__ import annotations

from datetime import datetime

from babel import Locale, UnknownLocaleError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, Charge, Customer, Invoice, InvoiceLine, InvoiceTaxLine, Refund, TaxId
from .taxids import check_tax_id, seller_vat_country

LANGUAGES = ("en", "de", "fr")


def document_locale(customer: Customer | None, account: Account) -> str:
    """The customer's locale from the gateway record (metadata locale / preferred_locales), else the account's."""
    meta = (customer.metadata_ or {}) if customer is not None else {}
    preferred = meta.get("preferred_locales")
    for candidate in (meta.get("locale"), *(preferred if isinstance(preferred, list) else ())):
        normalized = _normalize_locale(candidate)
        if normalized:
            return normalized
    return _normalize_locale(account.locale) or "en_US"


def _normalize_locale(value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def seller_block(account: Account) -> dict:
    branding = account.branding or {}
    return {
        "name": account.name, "legal_name": account.seller_legal_name or account.name,
        "address": account.seller_address or "", "tax_id": account.seller_tax_id or "",
        "support_email": account.support_email or "",
        "color": branding.get("color") or "#1f4e79", "logo": branding.get("logo") or "",
        "footer": branding.get("footer") or "",
    }


def buyer_block(session: Session, customer: Customer | None) -> dict:
    if customer is None:
        return {"name": "", "email": "", "address": "", "tax_ids": []}
    meta = customer.metadata_ or {}
    tax_ids = session.scalars(select(TaxId).where(
        TaxId.customer_id == customer.id, TaxId.deleted_at.is_(None)).order_by(TaxId.id))
    checked = [check_tax_id(t.type, t.value, t.country) for t in tax_ids]
    return {
        "name": customer.name or "", "email": customer.email or "",
        "address": meta.get("address") if isinstance(meta.get("address"), str) else "",
        "tax_ids": [{"type": c.type, "value": c.value, "country": c.country, "valid": c.valid} for c in checked],
    }


def receipt_content(session: Session, account: Account, charge: Charge, customer: Customer | None) -> dict:
    invoice = _invoice_of(session, charge)
    paid = charge.amount_captured_minor or charge.amount_minor
    lines, taxes, invoice_number = _lines(session, charge, invoice, paid)
    tax_total = sum(t["amount_minor"] for t in taxes)
    content = {
        "seller": seller_block(account), "buyer": buyer_block(session, customer),
        "currency": charge.currency, "lines": lines, "tax_lines": taxes,
        "subtotal_minor": paid - tax_total, "tax_minor": tax_total, "total_minor": paid, "paid_minor": paid,
        "payment_method": {"brand": charge.card_brand or "", "last4": charge.card_last4 or ""},
        "paid_at": _iso(charge.gateway_created_at), "gateway_invoice_number": invoice_number or "",
        "charge_external_id": charge.external_id,
    }
    content["reverse_charge"] = reverse_charge_applies(content, taxes)
    return content


def credit_note_content(session: Session, account: Account, refund: Refund, charge: Charge,
                        customer: Customer | None, receipt: dict | None, receipt_number: str | None) -> dict:
    """A credit note mirrors its receipt, scaled to the refunded amount (tax lines pro rata)."""
    base = receipt or receipt_content(session, account, charge, customer)
    taxes = _prorate(base["tax_lines"], refund.amount_minor, base["total_minor"])
    tax_total = sum(t["amount_minor"] for t in taxes)
    content = dict(base)
    content.update({
        "seller": seller_block(account), "buyer": buyer_block(session, customer),
        "currency": refund.currency,
        "lines": [{"description": refund.reason or "", "quantity": 1, "amount_minor": refund.amount_minor,
                   "refund": True}],
        "tax_lines": taxes, "subtotal_minor": refund.amount_minor - tax_total, "tax_minor": tax_total,
        "total_minor": refund.amount_minor, "paid_minor": refund.amount_minor,
        "refunded_at": _iso(refund.gateway_created_at), "refund_external_id": refund.external_id,
        "reverses": {"number": receipt_number or "", "charge_external_id": charge.external_id,
                     "paid_at": base.get("paid_at"), "total_minor": base["total_minor"]},
    })
    content["reverse_charge"] = reverse_charge_applies(content, taxes)
    return content


def reverse_charge_applies(content: dict, taxes: list[dict]) -> bool:
    """EU reverse charge: buyer has a valid EU VAT number of another member state and no VAT was charged."""
    if any(t.get("reverse_charge") for t in taxes):
        return True
    seller_country = seller_vat_country(content["seller"]["tax_id"])
    if seller_country is None or sum(t["amount_minor"] for t in taxes) != 0:
        return False
    return any(t["type"] == "eu_vat" and t["valid"] and t["country"] != seller_country
               for t in content["buyer"]["tax_ids"])


def _invoice_of(session: Session, charge: Charge) -> Invoice | None:
    if not charge.invoice_external_id:
        return session.scalars(select(Invoice).where(
            Invoice.connection_id == charge.connection_id, Invoice.charge_external_id == charge.external_id)).first()
    return session.scalars(select(Invoice).where(
        Invoice.connection_id == charge.connection_id, Invoice.external_id == charge.invoice_external_id)).first()


def _lines(session: Session, charge: Charge, invoice: Invoice | None, paid: int):
    if invoice is None:
        return [{"description": charge.description or "", "quantity": 1, "amount_minor": paid}], [], None
    lines = [{"description": ln.description or "", "quantity": ln.quantity, "amount_minor": ln.amount_minor}
             for ln in session.scalars(select(InvoiceLine).where(
                 InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.position))]
    taxes = [{"name": t.name or "", "rate_percent": t.rate_percent or "", "amount_minor": t.amount_minor,
              "reverse_charge": t.reverse_charge}
             for t in session.scalars(select(InvoiceTaxLine).where(
                 InvoiceTaxLine.invoice_id == invoice.id).order_by(InvoiceTaxLine.id))]
    return lines or [{"description": charge.description or "", "quantity": 1, "amount_minor": paid}], taxes, invoice.number


def _prorate(taxes: list[dict], part: int, whole: int) -> list[dict]:
    """Each tax line scaled by part/whole in integer minor units (floor division, exact when whole)."""
    if not whole or part == whole:
        return [dict(t) for t in taxes]
    return [dict(t, amount_minor=t["amount_minor"] * part // whole) for t in taxes]


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None

"""SQLAlchemy 2 typed models for every table (DESIGN §3)."""
from .base import Base, utcnow
from .billing import (
    Charge, Customer, CustomerEmail, CustomerLink, Dispute, Invoice, InvoiceLine, InvoiceTaxLine,
    Refund, Subscription, TaxId,
)
from .operations import ActionRun, AuditEntry, Document, DocumentCounter, InboundWebhook
from .tenancy import (
    ROLES, Account, AgentIdentity, ApiKey, GatewayConnection, HelpdeskInstallation, User,
)
from .views import CustomerView

__all__ = [
    "Account", "ActionRun", "AgentIdentity", "ApiKey", "AuditEntry", "Base", "Charge", "Customer",
    "CustomerEmail", "CustomerLink", "CustomerView", "Dispute", "Document", "DocumentCounter", "GatewayConnection",
    "HelpdeskInstallation", "InboundWebhook", "Invoice", "InvoiceLine", "InvoiceTaxLine", "ROLES",
    "Refund", "Subscription", "TaxId", "User", "utcnow",
]

"""Import every resource module so its routes register (order does not matter)."""
from . import (  # noqa: F401
    catalog, charges, customers, disputes, events_api, invoice_items, invoices, payment_intents, payment_methods,
    promotions, refunds, subscriptions, tax_ids,
)

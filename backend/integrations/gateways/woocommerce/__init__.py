"""WooCommerce (REST API v3) gateway: orders are charges and invoices, order refunds are refunds."""

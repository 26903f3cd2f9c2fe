"""Fixture-shaped defaults per object kind; a stored object only holds what differs from these.

Shapes follow stripe-mock's fixtures3.json (API 2026-10-28.endive). Nested default values are
shared between objects, so code must replace nested values, never mutate them in place.
"""
from __future__ import annotations

API_VERSION = "2026-10-28.endive"

ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
           "state": None}
BILLING_DETAILS = {"address": ADDRESS, "email": None, "name": None, "phone": None, "tax_id": None}

CUSTOMER = {
    "address": None, "balance": 0, "currency": None, "default_source": None, "delinquent": False,
    "description": None, "discount": None, "email": None,
    "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                         "rendering_options": None},
    "livemode": False, "metadata": {}, "name": None, "next_invoice_sequence": 1, "phone": None,
    "preferred_locales": [], "shipping": None, "tax_exempt": "none", "test_clock": None,
}

PAYMENT_METHOD = {
    "allow_redisplay": "unspecified", "billing_details": BILLING_DETAILS, "customer": None,
    "livemode": False, "metadata": {}, "type": "card",
}

PAYMENT_INTENT = {
    "amount_capturable": 0, "amount_details": {"tip": {}}, "amount_received": 0, "application": None,
    "application_fee_amount": None, "automatic_payment_methods": None, "canceled_at": None,
    "cancellation_reason": None, "capture_method": "automatic", "confirmation_method": "automatic",
    "customer": None, "description": None, "last_payment_error": None, "latest_charge": None,
    "livemode": False, "metadata": {}, "next_action": None, "on_behalf_of": None,
    "payment_method": None, "payment_method_configuration_details": None,
    "payment_method_options": {"card": {"installments": None, "mandate_options": None,
                                        "network": None, "request_three_d_secure": "automatic"}},
    "payment_method_types": ["card"], "processing": None, "receipt_email": None, "review": None,
    "setup_future_usage": None, "shipping": None, "source": None, "statement_descriptor": None,
    "statement_descriptor_suffix": None, "status": "requires_payment_method", "transfer_data": None,
    "transfer_group": None, "excluded_payment_method_types": None,
}

OUTCOME_APPROVED = {
    "advice_code": None, "network_advice_code": None, "network_decline_code": None,
    "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
    "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized",
}

CHARGE = {
    "amount_captured": 0, "amount_refunded": 0, "application": None, "application_fee": None,
    "application_fee_amount": None, "balance_transaction": None, "billing_details": BILLING_DETAILS,
    "calculated_statement_descriptor": "CHARGEDESK SANDBOX", "captured": False, "customer": None,
    "description": None, "disputed": False, "failure_balance_transaction": None,
    "failure_code": None, "failure_message": None, "fraud_details": {}, "livemode": False,
    "metadata": {}, "on_behalf_of": None, "outcome": OUTCOME_APPROVED, "paid": True,
    "payment_intent": None, "payment_method": None, "receipt_email": None, "receipt_number": None,
    "receipt_url": None, "refunded": False, "review": None, "shipping": None, "source": None,
    "source_transfer": None, "statement_descriptor": None, "statement_descriptor_suffix": None,
    "status": "succeeded", "transfer_data": None, "transfer_group": None,
}

REFUND = {
    "balance_transaction": None, "destination_details": {"card": {"type": "refund"}, "type": "card"},
    "metadata": {}, "payment_intent": None, "reason": None, "receipt_number": None,
    "source_transfer_reversal": None, "status": "succeeded", "transfer_reversal": None,
}

PRODUCT = {
    "active": True, "default_price": None, "description": None, "images": [], "livemode": False,
    "marketing_features": [], "metadata": {}, "package_dimensions": None, "shippable": None,
    "statement_descriptor": None, "tax_code": None, "unit_label": None, "url": None, "type": "service",
}

PRICE = {
    "active": True, "billing_scheme": "per_unit", "custom_unit_amount": None, "livemode": False,
    "lookup_key": None, "metadata": {}, "nickname": None, "recurring": None,
    "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None, "type": "one_time",
}

COUPON = {
    "amount_off": None, "currency": None, "duration": "once", "duration_in_months": None,
    "livemode": False, "max_redemptions": None, "metadata": {}, "name": None, "percent_off": None,
    "redeem_by": None, "times_redeemed": 0, "valid": True,
}

PROMOTION_CODE = {
    "active": True, "customer": None, "expires_at": None, "livemode": False, "max_redemptions": None,
    "metadata": {}, "restrictions": {"first_time_transaction": False, "minimum_amount": None,
                                     "minimum_amount_currency": None},
    "times_redeemed": 0,
}

DISCOUNT = {
    "checkout_session": None, "customer": None, "end": None, "invoice": None, "invoice_item": None,
    "promotion_code": None, "subscription": None, "subscription_item": None,
}

TAX_RATE = {
    "active": True, "country": None, "description": None, "jurisdiction": None,
    "jurisdiction_level": None, "livemode": False, "metadata": {}, "state": None, "tax_type": None,
    "flat_amount": None, "rate_type": "percentage",
}

TAX_ID = {"livemode": False, "verification": {"status": "pending", "verified_address": None,
                                              "verified_name": None}}

SUBSCRIPTION = {
    "application": None, "application_fee_percent": None,
    "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
    "billing_cycle_anchor_config": None, "cancel_at": None, "cancel_at_period_end": False,
    "canceled_at": None, "cancellation_details": {"comment": None, "feedback": None, "reason": None},
    "collection_method": "charge_automatically", "days_until_due": None,
    "default_payment_method": None, "default_source": None, "default_tax_rates": [],
    "description": None, "discounts": [], "ended_at": None,
    "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
    "latest_invoice": None, "livemode": False, "metadata": {}, "next_pending_invoice_item_invoice": None,
    "on_behalf_of": None, "pause_collection": None,
    "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                         "save_default_payment_method": "off"},
    "pending_invoice_item_interval": None, "pending_setup_intent": None, "pending_update": None,
    "schedule": None, "test_clock": None, "transfer_data": None, "trial_end": None,
    "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
    "trial_start": None, "billing_thresholds": None,
    "billing_mode": {"type": "classic", "flexible": None},
}

SUBSCRIPTION_ITEM = {"discounts": [], "metadata": {}, "quantity": 1, "tax_rates": [],
                     "billing_thresholds": None}

INVOICE = {
    "account_country": "US", "account_name": "ChargeDesk Sandbox", "account_tax_ids": None,
    "amount_overpaid": 0, "amount_paid": 0, "amount_shipping": 0, "application": None,
    "attempt_count": 0, "attempted": False, "auto_advance": False,
    "automatic_tax": {"enabled": False, "liability": None, "status": None, "disabled_reason": None,
                      "provider": None},
    "automatically_finalizes_at": None, "billing_reason": "manual",
    "collection_method": "charge_automatically", "custom_fields": None, "customer_address": None,
    "customer_email": None, "customer_name": None, "customer_phone": None,
    "customer_shipping": None, "customer_tax_exempt": "none", "customer_tax_ids": [],
    "default_payment_method": None, "default_source": None, "default_tax_rates": [],
    "description": None, "discounts": [], "due_date": None, "effective_at": None,
    "ending_balance": None, "footer": None, "from_invoice": None, "hosted_invoice_url": None,
    "invoice_pdf": None, "issuer": {"type": "self"}, "last_finalization_error": None,
    "latest_revision": None, "livemode": False, "metadata": {}, "next_payment_attempt": None,
    "number": None, "on_behalf_of": None, "parent": None,
    "payment_settings": {"default_mandate": None, "payment_method_options": None,
                         "payment_method_types": None},
    "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
    "receipt_number": None,
    "rendering": {"amount_tax_display": None, "pdf": {"page_size": "auto"}, "template": None,
                  "template_version": None},
    "shipping_cost": None, "shipping_details": None, "starting_balance": 0,
    "statement_descriptor": None, "status": "draft",
    "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                           "voided_at": None},
    "test_clock": None, "total_pretax_credit_amounts": [], "webhooks_delivered_at": None,
}

INVOICE_ITEM = {
    "discountable": True, "discounts": [], "invoice": None, "livemode": False, "metadata": {},
    "parent": None, "proration": False, "quantity": 1, "tax_rates": [], "test_clock": None,
}

LINE_ITEM = {
    "discount_amounts": [], "discountable": True, "discounts": [], "livemode": False, "metadata": {},
    "quantity": 1, "subscription": None, "pretax_credit_amounts": [], "taxes": [],
}

INVOICE_PAYMENT = {"is_default": True, "livemode": False}

DISPUTE = {
    "balance_transactions": [], "evidence": {}, "is_charge_refundable": False, "livemode": False,
    "metadata": {}, "payment_intent": None, "enhanced_eligibility_types": [],
}

EVENT = {"livemode": False, "pending_webhooks": 0, "api_version": API_VERSION}

WEBHOOK_ENDPOINT = {
    "api_version": None, "application": None, "description": None, "livemode": False,
    "metadata": {}, "status": "enabled",
}

DEFAULTS: dict[str, dict] = {
    "customer": CUSTOMER, "payment_method": PAYMENT_METHOD, "payment_intent": PAYMENT_INTENT,
    "charge": CHARGE, "refund": REFUND, "product": PRODUCT, "price": PRICE, "coupon": COUPON,
    "promotion_code": PROMOTION_CODE, "discount": DISCOUNT, "tax_rate": TAX_RATE, "tax_id": TAX_ID,
    "subscription": SUBSCRIPTION, "subscription_item": SUBSCRIPTION_ITEM, "invoice": INVOICE,
    "invoiceitem": INVOICE_ITEM, "line_item": LINE_ITEM, "invoice_payment": INVOICE_PAYMENT,
    "dispute": DISPUTE, "event": EVENT, "webhook_endpoint": WEBHOOK_ENDPOINT,
}

# Id prefix -> object kind, for expansion and /_sandbox lookups.
PREFIXES: dict[str, str] = {
    "cus_": "customer", "pm_": "payment_method", "pi_": "payment_intent", "ch_": "charge",
    "py_": "charge", "re_": "refund", "prod_": "product", "price_": "price", "promo_": "promotion_code",
    "di_": "discount", "txr_": "tax_rate", "txi_": "tax_id", "sub_": "subscription",
    "si_": "subscription_item", "in_": "invoice", "ii_": "invoiceitem", "il_": "line_item",
    "inpay_": "invoice_payment", "dp_": "dispute", "evt_": "event", "we_": "webhook_endpoint",
}

# Field name -> kind, for expandable ids without a telling prefix (coupon ids are free-form).
FIELD_KINDS: dict[str, str] = {
    "coupon": "coupon", "customer": "customer", "payment_method": "payment_method",
    "default_payment_method": "payment_method", "payment_intent": "payment_intent",
    "latest_charge": "charge", "charge": "charge", "latest_invoice": "invoice", "invoice": "invoice",
    "subscription": "subscription", "product": "product", "price": "price",
    "default_price": "price", "promotion_code": "promotion_code", "discounts": "discount",
    "refund": "refund", "tax_rate": "tax_rate",
}

LABELS: dict[str, str] = {"invoiceitem": "invoiceitem", "line_item": "invoice line item",
                          "payment_method": "PaymentMethod", "payment_intent": "payment_intent",
                          "invoice_payment": "invoice payment", "webhook_endpoint": "webhook endpoint",
                          "tax_rate": "tax rate", "tax_id": "tax id", "promotion_code": "promotion code",
                          "subscription_item": "subscription item"}


def label(kind: str) -> str:
    """The noun Stripe uses in "No such <noun>: 'id'"."""
    return LABELS.get(kind, kind)

"""PayPal: paypal-server-sdk (Orders, Payments, Subscriptions, Transaction Search) + Invoicing v2 REST."""

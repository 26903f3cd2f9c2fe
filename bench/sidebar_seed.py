"""Grow a billing mirror fast, inside PostgreSQL: one INSERT .. SELECT generate_series per table.

Rows are made by the server, so a million charges take seconds, not a Python loop. Each stage
appends customers and their history; charges go to the stage's own customers at random, so the
history of one customer (about `charges_per_customer`) stays the same while the tables grow.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

# Deterministic pseudo-random per row: Knuth's multiplicative hash of the row number.
HASH = "((({i})::bigint * 2654435761) % 4294967296)"


@dataclass(frozen=True)
class Target:
    account_id: int
    connection_id: int


def _h(i: str, salt: int = 0) -> str:
    return HASH.format(i=f"{i} + {salt}")


def max_id(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]


def add_customers(conn, t: Target, lo: int, hi: int) -> None:
    """Customers lo..hi with user<i>@example.com (every 50th also alias<i>@work.example)."""
    conn.execute(f"""
        INSERT INTO customers (id, account_id, connection_id, external_id, email, name, currency, metadata,
                               raw_status, gateway_created_at, synced_at)
        SELECT i, {t.account_id}, {t.connection_id}, 'cus_' || i, 'user' || i || '@example.com',
               'Customer ' || i, 'USD', '{{}}'::jsonb, NULL, now() - ({_h('i')} % 900) * interval '1 day', now()
        FROM generate_series({lo}, {hi}) AS i""")
    conn.execute(f"""
        INSERT INTO customer_emails (account_id, customer_id, email)
        SELECT {t.account_id}, i, 'user' || i || '@example.com' FROM generate_series({lo}, {hi}) AS i
        UNION ALL
        SELECT {t.account_id}, i, 'alias' || i || '@work.example' FROM generate_series({lo}, {hi}) AS i
        WHERE i % 50 = 0""")


def add_charges(conn, t: Target, lo: int, hi: int, customers: tuple[int, int]) -> None:
    """Charges lo..hi spread over the customer id range; 95% paid, 4% failed, 1% authorized; 5% partly refunded."""
    c_lo, c_hi = customers
    span = c_hi - c_lo + 1
    conn.execute(f"""
        INSERT INTO charges (id, account_id, connection_id, external_id, customer_id, customer_external_id,
                             amount_minor, amount_captured_minor, amount_refunded_minor, amount_capturable_minor,
                             currency, status, raw_status, card_brand, card_last4, description,
                             gateway_created_at, synced_at)
        SELECT i, {t.account_id}, {t.connection_id}, 'ch_' || i, cid, 'cus_' || cid, amount,
               CASE WHEN roll < 95 THEN amount ELSE 0 END,
               CASE WHEN roll < 5 THEN amount / 4 ELSE 0 END,
               CASE WHEN roll = 99 THEN amount ELSE 0 END,
               CASE WHEN roll % 10 = 7 THEN 'EUR' ELSE 'USD' END,
               CASE WHEN roll < 95 THEN 'succeeded' WHEN roll < 99 THEN 'failed' ELSE 'authorized' END,
               CASE WHEN roll < 95 THEN 'succeeded' WHEN roll < 99 THEN 'failed' ELSE 'requires_capture' END,
               (ARRAY['visa', 'mastercard', 'amex'])[1 + roll % 3], lpad((i % 10000)::text, 4, '0'),
               'Order #' || i, now() - (h % 730) * interval '1 day' - (h % 86400) * interval '1 second', now()
        FROM (SELECT i, {c_lo} + ({_h('i', 1)} % {span}) AS cid, 500 + ({_h('i', 2)} % 20000) AS amount,
                     ({_h('i', 3)} % 100)::int AS roll, {_h('i', 4)} AS h
              FROM generate_series({lo}, {hi}) AS i) AS g""")
    conn.execute(f"""
        INSERT INTO refunds (account_id, connection_id, external_id, charge_id, charge_external_id, amount_minor,
                             currency, status, raw_status, metadata, gateway_created_at, synced_at)
        SELECT account_id, connection_id, 're_' || id, id, external_id, amount_refunded_minor, currency,
               'succeeded', 'succeeded', '{{}}'::jsonb, gateway_created_at + interval '2 days', now()
        FROM charges WHERE id BETWEEN {lo} AND {hi} AND amount_refunded_minor > 0""")
    conn.execute(f"""
        INSERT INTO disputes (account_id, connection_id, external_id, charge_id, charge_external_id, amount_minor,
                              currency, status, raw_status, reason, synced_at)
        SELECT account_id, connection_id, 'dp_' || id, id, external_id, amount_minor, currency, 'needs_response',
               'needs_response', 'fraudulent', now()
        FROM charges WHERE id BETWEEN {lo} AND {hi} AND id % 1000 = 0""")


def add_billing(conn, t: Target, lo: int, hi: int) -> None:
    """30% of customers subscribe (2 invoices each, 1 in 10 still open); 5% have a tax ID."""
    conn.execute(f"""
        INSERT INTO subscriptions (account_id, connection_id, external_id, customer_id, customer_external_id,
                                   status, raw_status, plan_name, amount_minor, currency, interval, quantity,
                                   current_period_end, cancel_at_period_end, discount_codes, synced_at)
        SELECT {t.account_id}, {t.connection_id}, 'sub_' || i, i, 'cus_' || i, 'active', 'active', 'Pro',
               4900, 'USD', 'month', 1, now() + (i % 30) * interval '1 day', i % 20 = 3, '[]'::jsonb, now()
        FROM generate_series({lo}, {hi}) AS i WHERE i % 10 < 3""")
    conn.execute(f"""
        INSERT INTO invoices (account_id, connection_id, external_id, customer_id, customer_external_id, number,
                              status, raw_status, currency, subtotal_minor, tax_minor, total_minor,
                              amount_due_minor, amount_paid_minor, gateway_created_at, synced_at)
        SELECT {t.account_id}, {t.connection_id}, 'in_' || i || '_' || k, i, 'cus_' || i, 'INV-' || i || '-' || k,
               s, s, 'USD', 4900, 0, 4900, CASE WHEN s = 'open' THEN 4900 ELSE 0 END,
               CASE WHEN s = 'open' THEN 0 ELSE 4900 END, now() - k * interval '30 days', now()
        FROM generate_series({lo}, {hi}) AS i, generate_series(0, 1) AS k,
             LATERAL (SELECT CASE WHEN k = 0 AND i % 10 = 1 THEN 'open' ELSE 'paid' END AS s) AS st
        WHERE i % 10 < 3""")
    conn.execute(f"""
        INSERT INTO tax_ids (account_id, connection_id, external_id, customer_id, customer_external_id, type,
                             value, country, synced_at)
        SELECT {t.account_id}, {t.connection_id}, 'txi_' || i, i, 'cus_' || i, 'eu_vat',
               'DE' || lpad(i::text, 9, '0'), 'DE', now()
        FROM generate_series({lo}, {hi}) AS i WHERE i % 20 = 0""")


def grow(conn: psycopg.Connection, t: Target, *, charges_total: int, charges_per_customer: int) -> tuple[int, int]:
    """Append rows until the charges table holds `charges_total`; returns (customers, charges)."""
    have_charges, have_customers = max_id(conn, "charges"), max_id(conn, "customers")
    if charges_total > have_charges:
        new_customers = max((charges_total - have_charges) // charges_per_customer, 1)
        c_lo, c_hi = have_customers + 1, have_customers + new_customers
        add_customers(conn, t, c_lo, c_hi)
        add_billing(conn, t, c_lo, c_hi)
        add_charges(conn, t, have_charges + 1, charges_total, (c_lo, c_hi))
        for table in ("customers", "charges"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.execute("ANALYZE")
    return max_id(conn, "customers"), max_id(conn, "charges")

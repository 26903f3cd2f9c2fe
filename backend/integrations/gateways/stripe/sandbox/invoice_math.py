"""Invoice arithmetic: line discounts, tax-rate taxes (exclusive and inclusive) and the invoice totals."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .state import Call
from .store import PageRequest


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def invoice_lines(call: Call, invoice_id: str) -> list[dict]:
    """All lines of an invoice, oldest first."""
    items, _ = call.store.page("line_item", PageRequest(limit=10_000, where={"invoice": invoice_id}))
    return items[::-1]


def _coupon_of(call: Call, discount_id: str) -> dict | None:
    discount = call.store.get("discount", discount_id)
    return call.store.get("coupon", discount["source"]["coupon"]) if discount else None


def _discount_shares(call: Call, invoice: dict, lines: list[dict]) -> dict[str, list[dict]]:
    """line id -> [{"amount", "discount"}] for the invoice-level discounts."""
    shares: dict[str, list[dict]] = {line["id"]: [] for line in lines}
    discountable = [line for line in lines if line.get("discountable", True) and line["amount"] > 0]
    base = sum(line["amount"] for line in discountable)
    for discount_id in invoice.get("discounts") or []:
        coupon = _coupon_of(call, discount_id)
        if coupon is None or base == 0:
            continue
        if coupon.get("percent_off") is not None:
            pct = Decimal(str(coupon["percent_off"]))
            amounts = [round_minor(line["amount"] * pct / 100) for line in discountable]
        elif coupon.get("currency") == invoice["currency"]:
            total_off = min(coupon["amount_off"], base)
            amounts = [total_off * line["amount"] // base for line in discountable]
            amounts[-1] += total_off - sum(amounts)
        else:
            continue
        for line, amount in zip(discountable, amounts):
            shares[line["id"]].append({"amount": amount, "discount": discount_id})
    return shares


def line_taxes(call: Call, rate_ids: list[str], net: int) -> list[dict]:
    """Stripe's `taxes` entries for one line whose discounted amount is `net`."""
    taxes = []
    for rate_id in rate_ids:
        rate = call.store.get("tax_rate", rate_id)
        if rate is None:
            continue
        pct = Decimal(str(rate["percentage"]))
        if rate["inclusive"]:
            amount = net - round_minor(Decimal(net) / (1 + pct / 100))
            taxable = net - amount
        else:
            amount, taxable = round_minor(net * pct / 100), net
        taxes.append({"amount": amount, "tax_behavior": "inclusive" if rate["inclusive"] else "exclusive",
                      "tax_rate_details": {"tax_rate": rate_id}, "taxability_reason": "standard_rated",
                      "taxable_amount": taxable, "type": "tax_rate_details"})
    return taxes


def _sum_by(entries: list[dict], key) -> list[dict]:
    merged: dict = {}
    for entry in entries:
        k = key(entry)
        if k in merged:
            merged[k] = {**merged[k], "amount": merged[k]["amount"] + entry["amount"],
                         **({"taxable_amount": merged[k]["taxable_amount"] + entry["taxable_amount"]}
                            if "taxable_amount" in entry else {})}
        else:
            merged[k] = dict(entry)
    return list(merged.values())


def recompute(call: Call, invoice: dict) -> None:
    """Refresh every line's discount and tax amounts and the invoice totals (draft invoices)."""
    lines = invoice_lines(call, invoice["id"])
    shares = _discount_shares(call, invoice, lines)
    all_discounts, all_taxes = [], []
    for line in lines:
        discounts = shares[line["id"]]
        net = line["amount"] - sum(d["amount"] for d in discounts)
        rates = line.get("_tax_rates") or invoice.get("default_tax_rates") or []
        taxes = line_taxes(call, rates, net)
        call.update(line, {"discount_amounts": discounts, "taxes": taxes})
        all_discounts += discounts
        all_taxes += taxes
    _set_totals(call, invoice, lines, all_discounts, all_taxes)


def _set_totals(call: Call, invoice: dict, lines: list[dict], discounts: list[dict], taxes: list[dict]) -> None:
    subtotal = sum(line["amount"] for line in lines)
    discount = sum(d["amount"] for d in discounts)
    exclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "exclusive")
    inclusive = sum(t["amount"] for t in taxes if t["tax_behavior"] == "inclusive")
    total = subtotal - discount + exclusive
    amount_due = max(total, 0)
    call.update(invoice, {
        "subtotal": subtotal, "subtotal_excluding_tax": subtotal - inclusive, "total": total,
        "total_excluding_tax": total - exclusive - inclusive,
        "total_discount_amounts": _sum_by(discounts, lambda d: d["discount"]),
        "total_taxes": _sum_by(taxes, lambda t: t["tax_rate_details"]["tax_rate"]),
        "amount_due": amount_due, "amount_remaining": amount_due - invoice.get("amount_paid", 0),
    })

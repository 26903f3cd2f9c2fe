"""What `hosted_invoice_url` and `invoice_pdf` point at: a bare HTML page and a one-page PDF."""
from __future__ import annotations

from html import escape

from backend.money import to_decimal_string
from werkzeug.wrappers import Response


def _summary(invoice: dict) -> list[str]:
    currency = invoice["currency"]
    money = lambda amount: f"{to_decimal_string(amount, currency)} {currency.upper()}"  # noqa: E731
    lines = [f"Invoice {invoice.get('number') or invoice['id']}", f"Status: {invoice['status']}",
             f"Bill to: {invoice.get('customer_name') or ''} <{invoice.get('customer_email') or ''}>", ""]
    lines += [f"{line.get('description') or 'Item'}: {money(line['amount'])}" for line in invoice["lines"]["data"]]
    lines += ["", f"Subtotal: {money(invoice['subtotal'])}"]
    lines += [f"Tax ({tax['tax_rate_details']['tax_rate']}): {money(tax['amount'])}" for tax in invoice["total_taxes"] or []]
    lines += [f"Total: {money(invoice['total'])}", f"Amount due: {money(invoice['amount_due'])}",
              f"Amount paid: {money(invoice['amount_paid'])}"]
    return lines


def invoice_page(invoice: dict) -> Response:
    body = "".join(f"<p>{escape(line)}</p>" if line else "<hr>" for line in _summary(invoice))
    return Response(f"<!doctype html><title>{escape(_summary(invoice)[0])}</title>{body}", content_type="text/html")


def invoice_pdf(invoice: dict) -> Response:
    return Response(tiny_pdf(_summary(invoice)), content_type="application/pdf")


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid single-page PDF with one line of Helvetica text per entry (no PDF library needed)."""
    def literal(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    text = "BT /F1 11 Tf 72 760 Td 15 TL " + " ".join(f"({literal(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text.encode('latin-1', 'replace'))} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1", "replace")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out

"""PDFs read back with pdfplumber: number, totals, tax lines per rate, VAT note, language, money."""
from __future__ import annotations

import io
import shutil
import subprocess

import pdfplumber
import pytest

from backend.documents.store import read_pdf
from backend.documents.tasks import issue_document
from backend.models import Document

from .conftest import charge, customer, documents, invoice, refund, tax_id, vat, write


def _text(doc: Document) -> str:
    with pdfplumber.open(io.BytesIO(read_pdf(doc))) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_german_receipt_with_tax_lines_per_rate(app, connection):
    write(connection, customer(locale="de-DE", name="Erika Muster", address="Musterweg 2\n80331 München"),
          charge("ch_1", 11900 + 1070, invoice="in_1"),
          invoice("in_1", "ch_1", lines=[("Pro-Abo", 10000), ("E-Book", 2000)],
                  taxes=[vat("19.0", 1900 - 30), vat("7.0", 140)], number="INV-0042"))
    issue_document(["receipt", connection.id, "ch_1"])
    doc = documents("receipt")[0]
    text = _text(doc)
    assert doc.locale == "de_DE"
    assert f"Quittung {doc.display_number}" in text
    assert "VAT 19 % 18,70 €" in text and "VAT 7 % 1,40 €" in text
    assert "Gesamtbetrag 129,70 €" in text and "Bezahlter Betrag 129,70 €" in text
    assert "Zwischensumme 109,60 €" in text
    assert "Rechnungsnummer INV-0042" in text
    assert "Visa mit Endziffern 4242" in text
    assert "Erika Muster" in text and "Acme Software GmbH" in text and "DE136695976" in text
    assert "Reverse Charge" not in text


def test_reverse_charge_note_for_a_valid_vat_number_of_another_member_state(app, connection):
    write(connection, customer(locale="fr_FR"), tax_id("txi_1", "FR40303265045"), charge("ch_1", 5000))
    issue_document(["receipt", connection.id, "ch_1"])
    text = _text(documents("receipt")[0])
    assert "Autoliquidation" in text and "2006/112/CE" in text
    assert "Numéro de TVA: FR40303265045" in text and "non valide" not in text
    assert "Total 50,00 €" in text


def test_no_reverse_charge_for_an_invalid_vat_number(app, connection):
    write(connection, customer(), tax_id("txi_1", "FR00000000000"), charge("ch_1", 5000))
    issue_document(["receipt", connection.id, "ch_1"])
    text = _text(documents("receipt")[0])
    assert "Reverse charge" not in text and "(not valid)" in text


@pytest.mark.parametrize(("currency", "amount", "shown"), [("jpy", 5000, "¥5,000"), ("kwd", 1250, "KWD1.250"),
                                                           ("usd", 123456, "$1,234.56")])
def test_amounts_use_the_currency_exponent(app, connection, currency, amount, shown):
    write(connection, customer(locale="en_US"), charge("ch_1", amount, currency=currency))
    issue_document(["receipt", connection.id, "ch_1"])
    text = _text(documents("receipt")[0])
    assert f"Total {shown}" in text.replace("\xa0", " ")


def test_credit_note_shows_what_it_reverses_with_prorated_tax(app, connection):
    write(connection, customer(), charge("ch_1", 12000, invoice="in_1"),
          invoice("in_1", "ch_1", lines=[("Pro plan", 10000)], taxes=[vat("20.0", 2000)]),
          refund("re_1", "ch_1", 6000))
    issue_document(["credit_note", connection.id, "re_1"])
    receipt, note = documents("receipt")[0], documents("credit_note")[0]
    text = _text(note)
    assert f"Credit note {note.display_number}" in text
    assert f"reverses receipt {receipt.display_number}" in text and "(€120.00)" in text
    assert "VAT 20 % €10.00" in text and "Amount refunded €60.00" in text


def test_page_one_is_not_blank(app, connection, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) is missing; scripts/test installs it")
    write(connection, customer(), charge("ch_1", 4200))
    issue_document(["receipt", connection.id, "ch_1"])
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(read_pdf(documents("receipt")[0]))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("p*.png"))
    pixels = _gray_pixels(png)
    dark = sum(1 for p in pixels if p < 128)
    assert 0.003 < dark / len(pixels) < 0.5  # some ink, not a black page
    assert min(pixels) < 60 and max(pixels) > 240


def _gray_pixels(png) -> list[int]:
    """Brightness of each pixel of an 8-bit gray or RGB PNG, decoded with the standard library."""
    import struct
    import zlib

    data = png.read_bytes()
    pos, chunks, width, bpp = 8, [], 0, 1
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, _height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (0, 2)
            bpp = 1 if color == 0 else 3
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw, stride, pixels = zlib.decompress(b"".join(chunks)), width * bpp, []
    prev = [0] * stride
    for row_start in range(0, len(raw), stride + 1):
        kind, row = raw[row_start], list(raw[row_start + 1:row_start + 1 + stride])
        for i in range(stride):
            left, up, ul = (row[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
            pred = {0: 0, 1: left, 2: up, 3: (left + up) // 2, 4: _paeth(left, up, ul)}[kind]
            row[i] = (row[i] + pred) & 0xFF
        pixels += [sum(row[i:i + bpp]) // bpp for i in range(0, stride, bpp)]
        prev = row
    return pixels


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

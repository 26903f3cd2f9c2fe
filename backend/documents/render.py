"""Frozen document content -> HTML (Jinja, per account theme, translated) -> PDF (weasyprint)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..money import format_money
from .i18n import language_of, translations

TEMPLATES = Path(__file__).parent / "templates"
_SAFE_COLOR = frozenset("#0123456789abcdefABCDEF")


@lru_cache(maxsize=None)
def _environment(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    return env


def gettext_for(locale: str):
    return translations(language_of(locale)).gettext


def render_html(content: dict, *, locale: str) -> str:
    """The document as HTML; the same HTML the PDF is made from."""
    currency = content["currency"]
    env = _environment(language_of(locale))
    return env.get_template("document.html").render(
        doc=content, locale=locale, color=_color(content["seller"].get("color")),
        money=lambda minor: format_money(int(minor), currency, locale),
        date=lambda iso: _date(iso, locale), rate=lambda r: _rate(r, locale),
        css=(TEMPLATES / "document.css").read_text(),
    )


def render_pdf(content: dict, *, locale: str) -> bytes:
    return html_to_pdf(render_html(content, locale=locale))


def html_to_pdf(html: str) -> bytes:
    """weasyprint, fetching nothing but data: URIs (a logo URL must never make us call out)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def _color(value: str | None) -> str:
    """Only #rgb / #rrggbb reach the CSS."""
    if isinstance(value, str) and value.startswith("#") and len(value) in (4, 7) and set(value) <= _SAFE_COLOR:
        return value
    return "#1f4e79"


def _date(iso: str | None, locale: str) -> str:
    if not iso:
        return ""
    return format_date(datetime.fromisoformat(iso), format="long", locale=locale)


def _rate(rate: str | None, locale: str) -> str:
    try:
        return format_decimal(Decimal(rate), locale=locale) + " %" if rate else ""
    except InvalidOperation:
        return str(rate)

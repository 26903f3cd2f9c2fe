"""Document text in the customer's language: gettext catalogs compiled from the .po files in memory.

The .po files are the only committed form (no binaries); each is compiled once per process.
"""
from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("en", "de", "fr")  # English is the source language


def language_of(locale: str) -> str:
    """The catalog language for a locale ("de_AT" -> "de"); English when we have no catalog."""
    try:
        language = Locale.parse(locale).language
    except (ValueError, TypeError):
        return "en"
    return language if language in LANGUAGES else "en"


@lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain="messages")

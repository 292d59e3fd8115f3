"""Texts users read, through gettext catalogs, and Vietnamese number and date formats (Babel).

Message ids are English; ``infra/locale/vi/*.po`` hold the Vietnamese. The catalogs are compiled
in memory at first use, so there is no build step and no .mo file to forget. A test checks that
every message the code uses has a Vietnamese translation with the same placeholders.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def load_catalog(language: str) -> Catalog:
    """All .po files of one language merged into one catalog."""
    merged = Catalog(locale=language)
    for po_file in sorted((LOCALE_DIR / language).glob("*.po")):
        with po_file.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id:
                    merged[message.id] = message
    return merged


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, load_catalog(language))
    buffer.seek(0)
    return Translations(fp=buffer)


def normalize_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def tr(language: str, message: str, /, **params: Any) -> str:
    """Translate ``message`` into ``language`` and fill its {placeholders}."""
    text = translations(normalize_language(language)).gettext(message)
    return text.format(**params) if params else text


def number(value: float | int | Decimal, language: str) -> str:
    """1500 → "1.500" in Vietnamese, "1,500" in English."""
    return format_decimal(value, locale=normalize_language(language))


def percent(value: float | int | Decimal, language: str, *, places: int | None = 1) -> str:
    """97.2 → "97,2%" (vi) / "97.2%" (en): the percentage with ``places`` decimals (None: as
    many as the value has, for a figure an officer typed), the sign right after it. One style
    everywhere, in both languages, as Vietnamese official documents write it."""
    locale = normalize_language(language)
    if places is None:
        text = format_decimal(value, locale=locale, decimal_quantization=False)
    else:
        pattern = "#,##0." + "0" * places if places else "#,##0"
        text = format_decimal(value, format=pattern, locale=locale)
    return f"{text}%"


def capitalized(text: str) -> str:
    """ "tháng 11/2026" → "Tháng 11/2026": a button or a line starts with a capital, a label
    inside a sentence does not."""
    return text[:1].upper() + text[1:]


def plural(language: str, count: int | Decimal, one: str, other: str, /, **params: Any) -> str:
    """``one`` or ``other`` by English grammar, translated. Vietnamese nouns have no plural, so
    both messages carry the same translation; mark them with N_() where they are written."""
    return tr(language, one if count == 1 else other, **params)


def day(value: date, language: str) -> str:
    return format_date(value, format="dd/MM/yyyy", locale=normalize_language(language))


def moment(value: datetime, language: str, zone: Any) -> str:
    return format_datetime(
        value, format="HH:mm dd/MM/yyyy", tzinfo=zone, locale=normalize_language(language)
    )

"""Cleaning the texts workers and officers type, on the way in (NFC, no zero-width or
direction-override characters, no runs of blank lines). Escaping for HTML or Markdown stays the
renderer's job.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from services.concerns.config import MAX_TEXT_LENGTH
from services.concerns.errors import EmptyText, TextTooLong
from services.plain_text import visible

_NEWLINES: Final = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})
_BLANK_LINES: Final = re.compile(r"\n{3,}")


def clean_text(text: str, *, limit: int = MAX_TEXT_LENGTH) -> str:
    """NFC, line breaks unified, zero-width / direction-override / control characters removed,
    trailing spaces and runs of blank lines trimmed. Never shortens the text: too long →
    TextTooLong(length, limit); nothing left → EmptyText."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_NEWLINES))
    text = "".join(ch for ch in text if visible(ch)).replace("\t", " ")
    # Again: removing a joiner can leave a letter and its combining mark side by side.
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if not text:
        raise EmptyText()
    if len(text) > limit:
        raise TextTooLong(len(text), limit)
    return text
